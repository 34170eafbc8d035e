// Recognises a layer's compression from its first bytes, never from its name: gzip (RFC 1952 member
// magic) and zstd (RFC 8878 frame magic, or a leading skippable frame as zstd:chunked layers start with).

export type CompressionKind = 'gzip' | 'zstd' | 'none';

/** How many leading bytes `detectCompression` looks at. */
export const COMPRESSION_MAGIC_BYTES = 4;

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
// RFC 8878 §3.1.2: skippable frames use the 16 magic numbers 0x184D2A50..0x184D2A5F.
const ZSTD_SKIPPABLE_MAGIC_MIN = 0x184d2a50;
const ZSTD_SKIPPABLE_MAGIC_MAX = 0x184d2a5f;

export function detectCompression(firstBytes: Uint8Array): CompressionKind {
  if (firstBytes.length >= 2 && firstBytes[0] === 0x1f && firstBytes[1] === 0x8b) return 'gzip';
  if (firstBytes.length >= 4) {
    const magic = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, 4).readUInt32LE(0);
    if (magic === ZSTD_FRAME_MAGIC) return 'zstd';
    if (magic >= ZSTD_SKIPPABLE_MAGIC_MIN && magic <= ZSTD_SKIPPABLE_MAGIC_MAX) return 'zstd';
  }
  return 'none';
}
