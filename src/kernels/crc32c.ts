// Raw CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as ext4 metadata_csum uses it
// (kernel Documentation/filesystems/ext4/checksums.rst): no pre- or post-inversion inside.

/** Reflected Castagnoli polynomial. */
const CRC32C_POLY_REFLECTED = 0x82f63b78;

/**
 * Slicing-by-8 tables: TABLES[k * 256 + b] is the CRC contribution of byte `b` followed by `k` zero
 * bytes, so eight input bytes fold into the running value with eight independent lookups per step.
 */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ CRC32C_POLY_REFLECTED : crc >>> 1;
    tables[byte] = crc >>> 0;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = tables[byte]!;
    for (let k = 1; k < 8; k++) {
      crc = (crc >>> 8) ^ tables[crc & 0xff]!;
      tables[k * 256 + byte] = crc >>> 0;
    }
  }
  return tables;
}

/**
 * Continues a raw CRC32C from `seed` over `data`. ext4 seeds with `~0` (0xFFFFFFFF) or a previous
 * result and stores the value as returned; the standard CRC-32C of `data` is `~crc32c(~0, data) >>> 0`.
 * Chaining holds: crc32c(crc32c(s, a), b) === crc32c(s, a ‖ b).
 * @returns an unsigned 32-bit number.
 */
export function crc32c(seed: number, data: Uint8Array): number {
  const t = TABLES;
  let crc = seed | 0;
  let i = 0;
  const length = data.length;
  // Byte-wise until 4-byte aligned is unnecessary for correctness: we read bytes, not words, so the
  // main loop works on any offset (Buffers from the pool are often unaligned).
  const end8 = length - (length % 8);
  while (i < end8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < length) {
    crc = (crc >>> 8) ^ t[(crc ^ data[i]!) & 0xff]!;
    i++;
  }
  return crc >>> 0;
}
