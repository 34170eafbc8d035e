// The 256-byte ext4 inode (inodes.rst): field offsets, encode/decode, the 34-bit timestamp encoding
// with nanoseconds, and the metadata_csum inode checksum (checksums.rst).
import { crc32c } from '../../kernels/index.js';
import { EXTRA_ISIZE_BYTES, GOOD_OLD_INODE_SIZE_BYTES, INODE_SIZE_BYTES } from './constants.js';
import { structCodec, type StructValue } from './struct-codec.js';

export const inodeCodec = structCodec(INODE_SIZE_BYTES, [
  { name: 'i_mode', offset: 0x00, type: 'u16' },
  { name: 'i_uid', offset: 0x02, type: 'u16' },
  { name: 'i_size_lo', offset: 0x04, type: 'u32' },
  { name: 'i_atime', offset: 0x08, type: 'u32' },
  { name: 'i_ctime', offset: 0x0c, type: 'u32' },
  { name: 'i_mtime', offset: 0x10, type: 'u32' },
  { name: 'i_dtime', offset: 0x14, type: 'u32' },
  { name: 'i_gid', offset: 0x18, type: 'u16' },
  { name: 'i_links_count', offset: 0x1a, type: 'u16' },
  { name: 'i_blocks_lo', offset: 0x1c, type: 'u32' },
  { name: 'i_flags', offset: 0x20, type: 'u32' },
  { name: 'l_i_version', offset: 0x24, type: 'u32' },
  { name: 'i_block', offset: 0x28, type: 'bytes:60' },
  { name: 'i_generation', offset: 0x64, type: 'u32' },
  { name: 'i_file_acl_lo', offset: 0x68, type: 'u32' },
  { name: 'i_size_high', offset: 0x6c, type: 'u32' },
  { name: 'i_obso_faddr', offset: 0x70, type: 'u32' },
  { name: 'l_i_blocks_high', offset: 0x74, type: 'u16' },
  { name: 'l_i_file_acl_high', offset: 0x76, type: 'u16' },
  { name: 'l_i_uid_high', offset: 0x78, type: 'u16' },
  { name: 'l_i_gid_high', offset: 0x7a, type: 'u16' },
  { name: 'l_i_checksum_lo', offset: 0x7c, type: 'u16' },
  { name: 'l_i_reserved', offset: 0x7e, type: 'u16' },
  { name: 'i_extra_isize', offset: 0x80, type: 'u16' },
  { name: 'i_checksum_hi', offset: 0x82, type: 'u16' },
  { name: 'i_ctime_extra', offset: 0x84, type: 'u32' },
  { name: 'i_mtime_extra', offset: 0x88, type: 'u32' },
  { name: 'i_atime_extra', offset: 0x8c, type: 'u32' },
  { name: 'i_crtime', offset: 0x90, type: 'u32' },
  { name: 'i_crtime_extra', offset: 0x94, type: 'u32' },
  { name: 'i_version_hi', offset: 0x98, type: 'u32' },
  { name: 'i_projid', offset: 0x9c, type: 'u32' },
]);

export const INODE_CHECKSUM_LO_OFFSET = 0x7c;
export const INODE_CHECKSUM_HI_OFFSET = 0x82;
/** In-inode extended attributes start right after the extra fields. */
export const INLINE_XATTR_OFFSET = GOOD_OLD_INODE_SIZE_BYTES + EXTRA_ISIZE_BYTES;

/** Representable seconds: a signed 32-bit base plus two epoch bits (1901-12-13 .. 2446-05-10). */
export const MIN_TIMESTAMP_SEC = -(2 ** 31);
export const MAX_TIMESTAMP_SEC = 2 ** 31 - 1 + 3 * 2 ** 32;

/**
 * Splits a time into the 32-bit base and the extra word (epoch bits 0–1, nanoseconds << 2). Seconds
 * before 1970 keep epoch bits 00 (the base is negative by itself); e2fsck reads epoch 11 with a negative
 * base as a broken pre-1970 encoding. Out-of-range values are clamped to the representable range.
 */
export function encodeTimestamp(sec: number, nsec: number): { base: number; extra: number } {
  const clamped = Math.min(MAX_TIMESTAMP_SEC, Math.max(MIN_TIMESTAMP_SEC, Math.floor(sec)));
  const base32 = clamped | 0; // low 32 bits as signed
  const epoch = (clamped - base32) / 2 ** 32;
  const ns = Math.min(999_999_999, Math.max(0, Math.floor(nsec)));
  return { base: base32 >>> 0, extra: ((ns * 4) + epoch) >>> 0 };
}

export function decodeTimestamp(base: number, extra: number): { sec: number; nsec: number } {
  const signedBase = base | 0;
  return { sec: signedBase + (extra & 3) * 2 ** 32, nsec: extra >>> 2 };
}

export function encodeInode(value: StructValue, target: Buffer, offset = 0): void {
  inodeCodec.encode(value, target, offset);
}

export function decodeInode(buffer: Buffer, offset = 0): StructValue {
  return inodeCodec.decode(buffer, offset);
}

/** Scratch for inodeChecksumSeed (called for every inode, directory and extent block; never reentered). */
const SEED_WORD = Buffer.alloc(4);

/** Per-inode checksum seed (also seeds extent-block and directory-block checksums). */
export function inodeChecksumSeed(fsSeed: number, inodeNumber: number, generation: number): number {
  const word = SEED_WORD;
  word.writeUInt32LE(inodeNumber);
  const withIno = crc32c(fsSeed, word);
  word.writeUInt32LE(generation);
  return crc32c(withIno, word);
}

/** Fills l_i_checksum_lo and i_checksum_hi of the inode at `offset` (fields zeroed during the sum). */
export function sealInode(buffer: Buffer, offset: number, inodeNumber: number, generation: number, fsSeed: number): void {
  const inode = buffer.subarray(offset, offset + INODE_SIZE_BYTES);
  inode.writeUInt16LE(0, INODE_CHECKSUM_LO_OFFSET);
  inode.writeUInt16LE(0, INODE_CHECKSUM_HI_OFFSET);
  const sum = crc32c(inodeChecksumSeed(fsSeed, inodeNumber, generation), inode);
  inode.writeUInt16LE(sum & 0xffff, INODE_CHECKSUM_LO_OFFSET);
  inode.writeUInt16LE(sum >>> 16, INODE_CHECKSUM_HI_OFFSET);
}
