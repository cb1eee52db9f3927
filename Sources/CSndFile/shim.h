#ifndef TAKEVAULT_CSNDFILE_SHIM_H
#define TAKEVAULT_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif
