#ifndef TAKEVAULT_COGG_SHIM_H
#define TAKEVAULT_COGG_SHIM_H
#include <ogg/ogg.h>
#endif
