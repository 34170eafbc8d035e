// The kernels amikit uses, each the native one when the addon loads and the JS reference otherwise,
// and a report of which is active (printed by `amikit --version --verbose`).
import { crc32c as crc32cReference } from './crc32c.js';
import { nativeAddon } from './native-addon.js';

export { dataExtents, dataExtentsReference, type DataExtent } from './sparse-extents.js';
export { nativeAddon } from './native-addon.js';

/**
 * Below this length the Node-API call costs more than the JS loop (measured: 64 B 73 ns native vs
 * 52 ns JS; 256 B 59 vs 210 ns; 4 KiB 0.48 vs 2.4 µs), and ext4 checksums many 4–16 byte seeds.
 */
const NATIVE_CRC32C_MIN_BYTES = 128;

const nativeCrc32c = nativeAddon().addon?.crc32c;

/** Raw CRC32C continued from `seed` (see crc32c.ts, the specification); SSE4.2 for longer inputs when available. */
export const crc32c: (seed: number, data: Uint8Array) => number = nativeCrc32c
  ? (seed, data) => (data.length >= NATIVE_CRC32C_MIN_BYTES ? nativeCrc32c(seed, data) : crc32cReference(seed, data))
  : crc32cReference;

/** One line per kernel: its name and whether the native or the JS implementation runs. */
export function kernelReport(): string[] {
  const { addon, reason } = nativeAddon();
  if (!addon) {
    return [
      'crc32c: js (reference implementation)',
      'sparse extents: js (whole file read and zero-scanned)',
      'block sha-256 + xxh64: js on worker threads (node:crypto, xxhash-wasm)',
      `native addon: not in use: ${reason}`,
    ];
  }
  return [
    `crc32c: native (${addon.crc32cIsHardware() ? 'SSE4.2 crc32 instruction' : 'C table; no SSE4.2 on this CPU'})`,
    'sparse extents: native (lseek SEEK_DATA/SEEK_HOLE)',
    'block sha-256 + xxh64: native on worker threads (Node\'s OpenSSL SHA-256, C XXH64)',
    'zero scan, zstd: worker threads (memcmp, zstd-napi)',
    'malloc (CLI): freed memory kept for reuse (trim and mmap thresholds raised)',
  ];
}
