#ifndef TAKEVAULT_COPUS_SHIM_H
#define TAKEVAULT_COPUS_SHIM_H
#include <opus.h>
#include <opus_multistream.h>
#endif
