#ifndef TAKEVAULT_COPUSENC_SHIM_H
#define TAKEVAULT_COPUSENC_SHIM_H
#include <opusenc.h>

/* ope_encoder_ctl is variadic and the OPUS_SET_* / OPE_SET_* macros do not import into
   Swift: one typed wrapper per control takevault uses. Each returns OPE_OK or an OPE_* error. */

static inline int takevault_ope_set_bitrate(OggOpusEnc *enc, opus_int32 bitsPerSecond) {
    return ope_encoder_ctl(enc, OPUS_SET_BITRATE(bitsPerSecond));
}

static inline int takevault_ope_set_vbr(OggOpusEnc *enc, opus_int32 enabled) {
    return ope_encoder_ctl(enc, OPUS_SET_VBR(enabled));
}

static inline int takevault_ope_set_vbr_constraint(OggOpusEnc *enc, opus_int32 constrained) {
    return ope_encoder_ctl(enc, OPUS_SET_VBR_CONSTRAINT(constrained));
}

static inline int takevault_ope_set_complexity(OggOpusEnc *enc, opus_int32 complexity) {
    return ope_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
}

static inline int takevault_ope_set_signal_music(OggOpusEnc *enc) {
    return ope_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
}

/* Output gain in the OpusHead, Q7.8 dB (256 = +1 dB). */
static inline int takevault_ope_set_header_gain(OggOpusEnc *enc, int q78) {
    return ope_encoder_ctl(enc, OPE_SET_HEADER_GAIN(q78));
}

static inline int takevault_ope_set_serialno(OggOpusEnc *enc, opus_int32 serial) {
    return ope_encoder_ctl(enc, OPE_SET_SERIALNO(serial));
}

static inline int takevault_ope_get_lookahead(OggOpusEnc *enc, opus_int32 *samples) {
    return ope_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(samples));
}
#endif
