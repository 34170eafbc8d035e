/* CRC32C (Castagnoli, reflected 0x82F63B78) without pre/post inversion: the SSE4.2 crc32 instruction
 * when the CPU has it, else a byte table. Reference: src/kernels/crc32c.ts (the specification). */
#include "kernels.h"

#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t table[256];
static int table_ready;

static void build_table(void) {
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ CRC32C_POLY_REFLECTED : crc >> 1;
    table[byte] = crc;
  }
  table_ready = 1;
}

static uint32_t crc32c_table(uint32_t crc, const uint8_t *data, size_t length) {
  if (!table_ready) build_table();
  for (size_t i = 0; i < length; i++) crc = (crc >> 8) ^ table[(crc ^ data[i]) & 0xff];
  return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* The instruction applies the same reflected update as the table, 8 bytes per step; memcpy keeps
 * unaligned loads legal (Node Buffers from the pool are often unaligned). */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *data, size_t length) {
  uint64_t crc64 = crc;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    memcpy(&word, data + i, 8);
    crc64 = _mm_crc32_u64(crc64, word);
  }
  uint32_t crc32 = (uint32_t)crc64;
  for (; i < length; i++) crc32 = _mm_crc32_u8(crc32, data[i]);
  return crc32;
}

int amikit_crc32c_is_hardware(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
int amikit_crc32c_is_hardware(void) { return 0; }
#endif

uint32_t amikit_crc32c(uint32_t seed, const uint8_t *data, size_t length) {
#if defined(__x86_64__)
  static int hardware = -1;
  if (hardware < 0) hardware = amikit_crc32c_is_hardware();
  if (hardware) return crc32c_sse42(seed, data, length);
#endif
  return crc32c_table(seed, data, length);
}
