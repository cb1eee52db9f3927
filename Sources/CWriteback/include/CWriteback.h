#ifndef TAKEVAULT_CWRITEBACK_H
#define TAKEVAULT_CWRITEBACK_H
#include <stdint.h>

/// Asks the kernel to start writing `length` bytes of `descriptor` from `offset` to the disk now,
/// without waiting for it (Linux `sync_file_range` with SYNC_FILE_RANGE_WRITE, which the C
/// library declares only under _GNU_SOURCE and Swift's Glibc module does not import). A later
/// fsync then finds most of the file written. Returns 0, or -1 with errno set; elsewhere than
/// Linux it does nothing and returns 0.
int takevault_start_writeback(int descriptor, int64_t offset, int64_t length);

#endif
