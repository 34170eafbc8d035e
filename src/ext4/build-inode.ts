// Encodes one planned inode into its 256-byte slot of an inode table (inodes.rst): mode, owner with the
// high 16 bits, sizes, ns timestamps, i_blocks, flags, i_block (extents, fast symlink or device number),
// xattrs (in-inode area and block pointer) and the checksum.
import assert from 'node:assert/strict';
import type { Timespec } from '../tree/node.js';
import {
  EXT4_EXTENTS_FL,
  EXT4_INDEX_FL,
  EXTRA_ISIZE_BYTES,
  FAST_SYMLINK_MAX_BYTES,
  INODE_SIZE_BYTES,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  S_IFSOCK,
} from './format/constants.js';
import { encodeInode, encodeTimestamp, INLINE_XATTR_OFFSET, sealInode } from './format/inode.js';
import type { StructValue } from './format/struct-codec.js';
import { sectorCount, type Ext4Plan, type InodePlan } from './plan-ext4.js';

const TYPE_BITS: Record<InodePlan['kind'], number> = {
  file: S_IFREG,
  journal: S_IFREG,
  dir: S_IFDIR,
  symlink: S_IFLNK,
  'char-device': S_IFCHR,
  'block-device': S_IFBLK,
  fifo: S_IFIFO,
  socket: S_IFSOCK,
};

/**
 * Writes inode `p` at `offset` of `target` (zeroed by the caller). `extentRoot` is the 60-byte i_block
 * of inodes that map blocks.
 */
export function buildInode(plan: Ext4Plan, p: InodePlan, extentRoot: Buffer | undefined, target: Buffer, offset: number): void {
  const node = p.node;
  const fsTime: Timespec = { sec: plan.timestampSec, nsec: 0 };
  const meta = node?.meta;
  const permissions = p.kind === 'journal' ? 0o600 : meta!.mode & 0o7777;
  const uid = meta?.uid ?? 0;
  const gid = meta?.gid ?? 0;
  const mtime = encodeTimestamp((meta?.mtime ?? fsTime).sec, (meta?.mtime ?? fsTime).nsec);
  const atime = encodeTimestamp((meta?.atime ?? fsTime).sec, (meta?.atime ?? fsTime).nsec);
  const ctime = encodeTimestamp((meta?.ctime ?? fsTime).sec, (meta?.ctime ?? fsTime).nsec);
  const sectors = sectorCount(p);
  // Without HUGE_FILE_FL i_blocks counts 512-byte sectors in 48 bits: 128 TiB, beyond any 4 KiB-block file.
  assert.ok(sectors < 2 ** 48);

  let flags = 0;
  let iBlock: Buffer;
  if (p.kind === 'file' || p.kind === 'dir' || p.kind === 'journal' || (p.kind === 'symlink' && p.sizeBytes > FAST_SYMLINK_MAX_BYTES)) {
    flags |= EXT4_EXTENTS_FL;
    iBlock = extentRoot!;
  } else {
    iBlock = Buffer.alloc(60);
    if (node?.kind === 'symlink') {
      node.target.copy(iBlock, 0); // fast symlink: the target lives in i_block, no flag, no blocks
    } else if (node?.kind === 'char-device' || node?.kind === 'block-device') {
      const { major, minor } = node;
      if (major < 256 && minor < 256) iBlock.writeUInt32LE((major << 8) | minor, 0);
      else iBlock.writeUInt32LE(((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0, 4);
    }
  }
  if (p.indexed) flags |= EXT4_INDEX_FL;

  const xattrBlock = p.xattrBlockIndex >= 0 ? plan.xattrBlocks[p.xattrBlockIndex]!.physicalBlock : 0;
  const value: StructValue = {
    i_mode: TYPE_BITS[p.kind] | permissions,
    i_uid: uid & 0xffff,
    i_size_lo: p.sizeBytes % 2 ** 32,
    i_atime: atime.base,
    i_ctime: ctime.base,
    i_mtime: mtime.base,
    i_gid: gid & 0xffff,
    i_links_count: p.linkCount,
    i_blocks_lo: sectors % 2 ** 32,
    i_flags: flags,
    i_block: iBlock,
    i_file_acl_lo: xattrBlock % 2 ** 32,
    i_size_high: Math.floor(p.sizeBytes / 2 ** 32),
    l_i_blocks_high: Math.floor(sectors / 2 ** 32),
    l_i_file_acl_high: Math.floor(xattrBlock / 2 ** 32),
    l_i_uid_high: uid >>> 16,
    l_i_gid_high: gid >>> 16,
    i_extra_isize: EXTRA_ISIZE_BYTES,
    i_ctime_extra: ctime.extra,
    i_mtime_extra: mtime.extra,
    i_atime_extra: atime.extra,
    // No creation time in the tree: the modification time is the closest truthful value.
    i_crtime: mtime.base,
    i_crtime_extra: mtime.extra,
  };
  encodeInode(value, target, offset);
  if (p.xattrInline) {
    assert.ok(p.xattrInline.length <= INODE_SIZE_BYTES - INLINE_XATTR_OFFSET);
    p.xattrInline.copy(target, offset + INLINE_XATTR_OFFSET);
  }
  if (plan.checksums) sealInode(target, offset, p.ino, 0, plan.fsSeed);
}

/** A reserved inode (1, 3–7, 9, 10) as mke2fs leaves it: empty but with i_extra_isize and a checksum. */
export function buildReservedInode(plan: Ext4Plan, ino: number, target: Buffer, offset: number): void {
  encodeInode({ i_extra_isize: EXTRA_ISIZE_BYTES }, target, offset);
  if (plan.checksums) sealInode(target, offset, ino, 0, plan.fsSeed);
}
