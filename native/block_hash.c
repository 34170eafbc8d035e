/* Per-block digests in one call: SHA-256 through the OpenSSL that Node itself exports (SHA-NI where the
 * CPU has it) and XXH64 (the xxHash specification, doc/xxhash_spec.md), reading the caller's memory
 * in place. JS references: node:crypto and xxhash-wasm. */
#include "kernels.h"

#include <openssl/sha.h>
#include <string.h>

#define XXH_PRIME64_1 0x9E3779B185EBCA87ULL
#define XXH_PRIME64_2 0xC2B2AE3D27D4EB4FULL
#define XXH_PRIME64_3 0x165667B19E3779F9ULL
#define XXH_PRIME64_4 0x85EBCA77C2B2AE63ULL
#define XXH_PRIME64_5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

/* Little-endian loads through memcpy: legal at any alignment, one instruction on x86-64. */
static inline uint64_t read64(const uint8_t *p) {
  uint64_t value;
  memcpy(&value, p, 8);
  return value;
}

static inline uint32_t read32(const uint8_t *p) {
  uint32_t value;
  memcpy(&value, p, 4);
  return value;
}

static inline uint64_t xxh64_round(uint64_t accumulator, uint64_t lane) {
  accumulator += lane * XXH_PRIME64_2;
  return rotl64(accumulator, 31) * XXH_PRIME64_1;
}

static inline uint64_t xxh64_merge(uint64_t accumulator, uint64_t lane) {
  accumulator ^= xxh64_round(0, lane);
  return accumulator * XXH_PRIME64_1 + XXH_PRIME64_4;
}

uint64_t amikit_xxh64(const uint8_t *data, size_t length, uint64_t seed) {
  const uint8_t *p = data;
  const uint8_t *end = data + length;
  uint64_t hash;
  if (length >= 32) {
    uint64_t lane1 = seed + XXH_PRIME64_1 + XXH_PRIME64_2;
    uint64_t lane2 = seed + XXH_PRIME64_2;
    uint64_t lane3 = seed;
    uint64_t lane4 = seed - XXH_PRIME64_1;
    const uint8_t *stripes_end = end - 32;
    do {
      lane1 = xxh64_round(lane1, read64(p));
      lane2 = xxh64_round(lane2, read64(p + 8));
      lane3 = xxh64_round(lane3, read64(p + 16));
      lane4 = xxh64_round(lane4, read64(p + 24));
      p += 32;
    } while (p <= stripes_end);
    hash = rotl64(lane1, 1) + rotl64(lane2, 7) + rotl64(lane3, 12) + rotl64(lane4, 18);
    hash = xxh64_merge(hash, lane1);
    hash = xxh64_merge(hash, lane2);
    hash = xxh64_merge(hash, lane3);
    hash = xxh64_merge(hash, lane4);
  } else {
    hash = seed + XXH_PRIME64_5;
  }
  hash += (uint64_t)length;
  for (; p + 8 <= end; p += 8) hash = rotl64(hash ^ xxh64_round(0, read64(p)), 27) * XXH_PRIME64_1 + XXH_PRIME64_4;
  if (p + 4 <= end) {
    hash = rotl64(hash ^ ((uint64_t)read32(p) * XXH_PRIME64_1), 23) * XXH_PRIME64_2 + XXH_PRIME64_3;
    p += 4;
  }
  for (; p < end; p++) hash = rotl64(hash ^ ((uint64_t)*p * XXH_PRIME64_5), 11) * XXH_PRIME64_1;
  hash ^= hash >> 33;
  hash *= XXH_PRIME64_2;
  hash ^= hash >> 29;
  hash *= XXH_PRIME64_3;
  hash ^= hash >> 32;
  return hash;
}

void amikit_sha256(const uint8_t *data, size_t length, uint8_t digest[32]) { SHA256(data, length, digest); }
