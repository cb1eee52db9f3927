#ifndef TAKEVAULT_CSOXR_SHIM_H
#define TAKEVAULT_CSOXR_SHIM_H
/* libsoxr, the reference resampler. Benchmarks only, as an anchor. */
#include <soxr.h>
#endif
