/* Small helpers shared by the core: time, string copy, hashing. */
#ifndef NW_UTIL_H
#define NW_UTIL_H

#include <stddef.h>
#include <stdint.h>

uint64_t nw_time_mono_ns(void);
uint64_t nw_time_wall_ns(void);
/* strlcpy semantics: always terminates; returns strlen(src). */
size_t nw_strlcpy(char *dst, const char *src, size_t size);
/* A fast keyed 64-bit hash of a byte string (not cryptographic; seeded per process). */
uint64_t nw_hash64(const void *data, size_t len, uint64_t seed);

#endif
