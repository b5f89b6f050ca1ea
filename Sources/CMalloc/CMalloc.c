#include "CMalloc.h"

// Any C library header defines __GLIBC__ (through features.h) when the library is glibc.
#include <stdlib.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>

long long cmalloc_in_use_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return (long long)(info.uordblks + info.hblkhd);
}

int cmalloc_trim(void) { return malloc_trim(0); }
#else
long long cmalloc_in_use_bytes(void) { return -1; }

int cmalloc_trim(void) { return 0; }
#endif
