/* The C kernels behind the addon: no Node headers, each mirrors a JS reference in src/kernels/. */
#ifndef AMIKIT_KERNELS_H
#define AMIKIT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Raw CRC32C continued from `seed` (no inversion), as ext4 metadata_csum stores it. */
uint32_t amikit_crc32c(uint32_t seed, const uint8_t *data, size_t length);

/* 1 when the CPU has the SSE4.2 crc32 instruction and amikit_crc32c uses it. */
int amikit_crc32c_is_hardware(void);

/*
 * Next offset >= `offset` that holds data (whence_data != 0, SEEK_DATA) or starts a hole
 * (SEEK_HOLE). Returns -1 past the last data (ENXIO) and -2 - errno on any other failure.
 */
int64_t amikit_seek_extent(int fd, int64_t offset, int whence_data);

/* posix_fadvise(POSIX_FADV_WILLNEED) of the range: 0 or an errno. */
int amikit_advise_will_need(int fd, int64_t offset, int64_t length);

/* XXH64 of data with `seed` (xxHash specification). */
uint64_t amikit_xxh64(const uint8_t *data, size_t length, uint64_t seed);

/* SHA-256 of data into digest (OpenSSL as exported by the Node binary). */
void amikit_sha256(const uint8_t *data, size_t length, uint8_t digest[32]);

/*
 * Sets malloc's trim and mmap thresholds (glibc); 1 when both took effect, 0 elsewhere. Not a kernel of a
 * computation: it has no JS reference, only a JS fallback that leaves the allocator as it is.
 */
int amikit_keep_freed_memory(size_t trim_threshold_bytes, size_t mmap_threshold_bytes);

#endif
