#ifndef CMALLOC_H
#define CMALLOC_H

/// Bytes the C allocator has handed out and not had back, in its arenas and its own mappings;
/// -1 where that cannot be read (not glibc, or glibc before 2.33).
long long cmalloc_in_use_bytes(void);

/// Hands the free memory the C allocator holds back to the system (glibc's `malloc_trim(0)`):
/// 1 if any was released, 0 if none or not supported.
int cmalloc_trim(void);

#endif
