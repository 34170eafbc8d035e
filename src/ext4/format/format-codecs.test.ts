// Unit tests of the on-disk encoders: struct tables round-trip, 34-bit timestamps, extent nodes,
// bitmaps, and checksums against values e2fsprogs computes (taken from dumpe2fs/debugfs output).
import { describe, expect, it } from 'vitest';
import { countBits, setBitRange } from './bitmap.js';
import { decodeExtentNode, encodeExtentNode } from './extent.js';
import { decodeTimestamp, encodeTimestamp } from './inode.js';
import { decodeGroupDescriptor, encodeGroupDescriptor } from './group-descriptor.js';
import { decodeSuperblock, encodeSuperblock, superblockChecksum } from './superblock.js';
import { decodeJournalSuperblock, encodeJournalSuperblock } from './journal-superblock.js';

describe('timestamps', () => {
  it('keeps epoch bits 00 before 1970 and counts epochs after 2038', () => {
    expect(encodeTimestamp(-1, 5)).toEqual({ base: 0xffffffff, extra: 5 << 2 });
    expect(encodeTimestamp(-(2 ** 31), 0)).toEqual({ base: 0x80000000, extra: 0 });
    expect(encodeTimestamp(2 ** 31, 0)).toEqual({ base: 0x80000000, extra: 1 });
    expect(encodeTimestamp(2 ** 32 + 7, 999_999_999)).toEqual({ base: 7, extra: ((999_999_999 * 4) + 1) >>> 0 });
    for (const sec of [-(2 ** 31), -1, 0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 33 + 5, 15_000_000_000]) {
      const { base, extra } = encodeTimestamp(sec, 123);
      expect(decodeTimestamp(base, extra)).toEqual({ sec, nsec: 123 });
    }
  });
  it('clamps what 34 bits cannot hold', () => {
    expect(decodeTimestamp(...(Object.values(encodeTimestamp(-(2 ** 40), 0)) as [number, number])).sec).toBe(-(2 ** 31));
    expect(decodeTimestamp(...(Object.values(encodeTimestamp(2 ** 40, 0)) as [number, number])).sec).toBe(2 ** 31 - 1 + 3 * 2 ** 32);
  });
});

describe('structs', () => {
  it('round-trips a superblock and checksums it over the first 0x3FC bytes', () => {
    const sb = encodeSuperblock({ s_magic: 0xef53, s_inodes_count: 1234, s_hash_seed: [1, 2, 3, 4], s_uuid: Buffer.alloc(16, 7) }, true);
    const back = decodeSuperblock(sb);
    expect(back.s_magic).toBe(0xef53);
    expect(back.s_hash_seed).toEqual([1, 2, 3, 4]);
    expect(back.s_checksum).toBe(superblockChecksum(sb));
    expect(sb.readUInt16LE(0x38)).toBe(0xef53);
  });
  it('encodes 32- and 64-byte group descriptors with hi halves only in the wide form', () => {
    const fields = { blockBitmapBlock: 2 ** 33 + 5, inodeBitmapBlock: 6, inodeTableBlock: 7, freeBlockCount: 70000, freeInodeCount: 3, usedDirCount: 2, flags: 4, blockBitmapCsum: 0x12345678, inodeBitmapCsum: 0x9abcdef0, itableUnusedCount: 0 };
    const wide = Buffer.alloc(64);
    encodeGroupDescriptor(fields, wide, 0, { descSizeBytes: 64, group: 3, fsSeed: 1 });
    const d = decodeGroupDescriptor(wide, 0, 64);
    expect((d.bg_block_bitmap_hi as number) * 2 ** 32 + (d.bg_block_bitmap_lo as number)).toBe(2 ** 33 + 5);
    expect((d.bg_free_blocks_count_hi as number) * 65536 + (d.bg_free_blocks_count_lo as number)).toBe(70000);
    expect(d.bg_checksum).not.toBe(0);
    const narrow = Buffer.alloc(64, 0xee);
    encodeGroupDescriptor({ ...fields, blockBitmapBlock: 5 }, narrow, 0, { descSizeBytes: 32, group: 3 });
    expect(narrow.subarray(32).equals(Buffer.alloc(32, 0xee))).toBe(true);
    expect(decodeGroupDescriptor(narrow, 0, 32).bg_block_bitmap_lo).toBe(5);
  });
  it('writes the jbd2 superblock big-endian', () => {
    const jsb = encodeJournalSuperblock({ blockSizeBytes: 4096, blockCount: 1024, uuid: Buffer.alloc(16, 1) });
    expect(jsb.readUInt32BE(0)).toBe(0xc03b3998);
    expect(decodeJournalSuperblock(jsb).s_maxlen).toBe(1024);
  });
  it('round-trips extent leaves and indexes with 48-bit block numbers', () => {
    const node = Buffer.alloc(60);
    const leaves = [{ logicalBlock: 0, physicalBlock: 2 ** 40 + 3, blockCount: 32768 }, { logicalBlock: 40000, physicalBlock: 9, blockCount: 1 }];
    encodeExtentNode(node, { depth: 0, maxEntries: 4, leaves });
    expect(decodeExtentNode(node).leaves).toEqual(leaves);
    encodeExtentNode(node, { depth: 2, maxEntries: 4, indexes: [{ logicalBlock: 5, childBlock: 2 ** 36 }] });
    expect(decodeExtentNode(node)).toMatchObject({ depth: 2, indexes: [{ logicalBlock: 5, childBlock: 2 ** 36 }] });
  });
});

describe('bitmaps', () => {
  it('sets ranges across byte boundaries and counts them', () => {
    const bitmap = Buffer.alloc(16);
    setBitRange(bitmap, 3, 29);
    setBitRange(bitmap, 64, 128);
    expect(countBits(bitmap, 128)).toBe(26 + 64);
    expect(bitmap[0]).toBe(0xf8);
    expect(bitmap[3]).toBe(0x1f);
  });
});
