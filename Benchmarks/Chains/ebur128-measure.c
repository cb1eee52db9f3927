/*
 * The measuring step of the "libebur128 + flac + sox + opusenc" chain: what a user scripting that
 * chain would write around libebur128 — read a WAV with libsndfile, print the integrated loudness
 * (LUFS) and true peak (dBTP, the maximum over channels). Built by scripts/compare-chains.py.
 */
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ebur128-measure FILE\n");
        return 2;
    }
    SF_INFO info = {0};
    SNDFILE *file = sf_open(argv[1], SFM_READ, &info);
    if (!file) {
        fprintf(stderr, "%s: %s\n", argv[1], sf_strerror(NULL));
        return 1;
    }
    ebur128_state *state = ebur128_init((unsigned) info.channels, (unsigned long) info.samplerate, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    enum { block = 4096 };
    float *samples = malloc(sizeof(float) * block * (size_t) info.channels);
    sf_count_t got;
    while ((got = sf_readf_float(file, samples, block)) > 0) ebur128_add_frames_float(state, samples, (size_t) got);
    double loudness = 0, peak = 0;
    ebur128_loudness_global(state, &loudness);
    for (int channel = 0; channel < info.channels; channel++) {
        double value = 0;
        ebur128_true_peak(state, (unsigned) channel, &value);
        if (value > peak) peak = value;
    }
    printf("%.3f %.3f\n", loudness, 20 * log10(peak));
    free(samples);
    ebur128_destroy(&state);
    sf_close(file);
    return 0;
}
