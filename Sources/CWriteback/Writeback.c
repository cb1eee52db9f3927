#define _GNU_SOURCE
#include "CWriteback.h"
#include <fcntl.h>

int takevault_start_writeback(int descriptor, int64_t offset, int64_t length) {
#ifdef __linux__
    return sync_file_range(descriptor, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)descriptor; (void)offset; (void)length;
    return 0;
#endif
}
