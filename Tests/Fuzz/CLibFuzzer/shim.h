// libFuzzer's driver, for a harness that keeps its own main (compiler-rt's FuzzerInterface.h).
// Linked in by `-sanitize=fuzzer`; only the fuzz build (TAKEVAULT_FUZZ=1) includes this module.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
