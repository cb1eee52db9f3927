#ifndef TAKEVAULT_CEBUR128_SHIM_H
#define TAKEVAULT_CEBUR128_SHIM_H
/* libebur128, the reference loudness meter. Used only by tests and benchmarks, as an anchor. */
#include <ebur128.h>
#endif
