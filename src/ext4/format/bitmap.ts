// Block and inode bitmaps (blockgroup.rst): one block each per group, bit i = block/inode i of the group
// in use; bits past the group's end are padding and must be 1. Checksums per checksums.rst.
import { crc32c } from '../../kernels/index.js';

export function setBit(bitmap: Buffer, bit: number): void {
  bitmap[bit >>> 3]! |= 1 << (bit & 7);
}

export function testBit(bitmap: Buffer, bit: number): boolean {
  return (bitmap[bit >>> 3]! & (1 << (bit & 7))) !== 0;
}

/** Sets bits [start, end). Whole bytes are filled directly: bitmaps of big groups are mostly runs. */
export function setBitRange(bitmap: Buffer, start: number, end: number): void {
  let bit = start;
  while (bit < end && (bit & 7) !== 0) setBit(bitmap, bit++);
  const wholeEnd = end - ((end - bit) & 7);
  if (wholeEnd > bit) bitmap.fill(0xff, bit >>> 3, wholeEnd >>> 3);
  bit = Math.max(bit, wholeEnd);
  while (bit < end) setBit(bitmap, bit++);
}

/** Counts set bits in [0, bitCount). */
export function countBits(bitmap: Buffer, bitCount: number): number {
  let total = 0;
  const wholeBytes = bitCount >>> 3;
  for (let i = 0; i < wholeBytes; i++) total += POPCOUNT[bitmap[i]!]!;
  for (let bit = wholeBytes * 8; bit < bitCount; bit++) if (testBit(bitmap, bit)) total++;
  return total;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, n) => {
  let c = 0;
  for (let v = n; v; v >>= 1) c += v & 1;
  return c;
});

/** Checksum of the meaningful part of a bitmap: `sizeBytes` is blocks_per_group/8 or inodes_per_group/8. */
export function bitmapChecksum(bitmap: Buffer, sizeBytes: number, fsSeed: number): number {
  return crc32c(fsSeed, bitmap.subarray(0, sizeBytes));
}
