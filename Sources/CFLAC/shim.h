#ifndef TAKEVAULT_CFLAC_SHIM_H
#define TAKEVAULT_CFLAC_SHIM_H
#include <FLAC/stream_encoder.h>
#include <FLAC/stream_decoder.h>
#include <FLAC/metadata.h>

/* libFLAC's string tables are extern arrays of unknown size and its version string is a mutable
   global: neither imports into Swift 6 cleanly, so they are read through these accessors. */

static inline const char *takevault_flac_version(void) { return FLAC__VERSION_STRING; }

static inline const char *takevault_flac_encoder_init_status(FLAC__StreamEncoderInitStatus status) {
    return FLAC__StreamEncoderInitStatusString[status];
}

static inline const char *takevault_flac_decoder_init_status(FLAC__StreamDecoderInitStatus status) {
    return FLAC__StreamDecoderInitStatusString[status];
}

static inline const char *takevault_flac_decoder_error_status(FLAC__StreamDecoderErrorStatus status) {
    return FLAC__StreamDecoderErrorStatusString[status];
}
#endif
