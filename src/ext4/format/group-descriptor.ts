// Block group descriptors (group_descr.rst): 64 bytes with the 64bit feature, 32 without; the
// metadata_csum checksum is crc32c(fs seed, le32 group, descriptor with bg_checksum zeroed) & 0xFFFF.
import { crc32c } from '../../kernels/index.js';
import { structCodec, type StructValue } from './struct-codec.js';

export const groupDescriptorCodec = structCodec(64, [
  { name: 'bg_block_bitmap_lo', offset: 0x00, type: 'u32' },
  { name: 'bg_inode_bitmap_lo', offset: 0x04, type: 'u32' },
  { name: 'bg_inode_table_lo', offset: 0x08, type: 'u32' },
  { name: 'bg_free_blocks_count_lo', offset: 0x0c, type: 'u16' },
  { name: 'bg_free_inodes_count_lo', offset: 0x0e, type: 'u16' },
  { name: 'bg_used_dirs_count_lo', offset: 0x10, type: 'u16' },
  { name: 'bg_flags', offset: 0x12, type: 'u16' },
  { name: 'bg_exclude_bitmap_lo', offset: 0x14, type: 'u32' },
  { name: 'bg_block_bitmap_csum_lo', offset: 0x18, type: 'u16' },
  { name: 'bg_inode_bitmap_csum_lo', offset: 0x1a, type: 'u16' },
  { name: 'bg_itable_unused_lo', offset: 0x1c, type: 'u16' },
  { name: 'bg_checksum', offset: 0x1e, type: 'u16' },
  { name: 'bg_block_bitmap_hi', offset: 0x20, type: 'u32' },
  { name: 'bg_inode_bitmap_hi', offset: 0x24, type: 'u32' },
  { name: 'bg_inode_table_hi', offset: 0x28, type: 'u32' },
  { name: 'bg_free_blocks_count_hi', offset: 0x2c, type: 'u16' },
  { name: 'bg_free_inodes_count_hi', offset: 0x2e, type: 'u16' },
  { name: 'bg_used_dirs_count_hi', offset: 0x30, type: 'u16' },
  { name: 'bg_itable_unused_hi', offset: 0x32, type: 'u16' },
  { name: 'bg_exclude_bitmap_hi', offset: 0x34, type: 'u32' },
  { name: 'bg_block_bitmap_csum_hi', offset: 0x38, type: 'u16' },
  { name: 'bg_inode_bitmap_csum_hi', offset: 0x3a, type: 'u16' },
  { name: 'bg_reserved', offset: 0x3c, type: 'u32' },
]);

export const GROUP_DESCRIPTOR_CHECKSUM_OFFSET = 0x1e;

export interface GroupDescriptorFields {
  blockBitmapBlock: number;
  inodeBitmapBlock: number;
  inodeTableBlock: number;
  freeBlockCount: number;
  freeInodeCount: number;
  usedDirCount: number;
  flags: number;
  blockBitmapCsum: number;
  inodeBitmapCsum: number;
  itableUnusedCount: number;
}

/**
 * Encodes descriptor `group` into `target` at `offset` (descSizeBytes 32 or 64). The 32-byte form has
 * only the lo halves: every value must then fit (the planner keeps 32-bit filesystems below 2^32 blocks).
 * With `fsSeed` the descriptor checksum is filled in.
 */
export function encodeGroupDescriptor(
  fields: GroupDescriptorFields,
  target: Buffer,
  offset: number,
  options: { descSizeBytes: 32 | 64; group: number; fsSeed?: number },
): void {
  const wide = options.descSizeBytes === 64;
  const value: StructValue = {
    bg_block_bitmap_lo: fields.blockBitmapBlock % 2 ** 32,
    bg_inode_bitmap_lo: fields.inodeBitmapBlock % 2 ** 32,
    bg_inode_table_lo: fields.inodeTableBlock % 2 ** 32,
    bg_free_blocks_count_lo: fields.freeBlockCount & 0xffff,
    bg_free_inodes_count_lo: fields.freeInodeCount & 0xffff,
    bg_used_dirs_count_lo: fields.usedDirCount & 0xffff,
    bg_flags: fields.flags,
    bg_block_bitmap_csum_lo: fields.blockBitmapCsum & 0xffff,
    bg_inode_bitmap_csum_lo: fields.inodeBitmapCsum & 0xffff,
    bg_itable_unused_lo: fields.itableUnusedCount & 0xffff,
    bg_checksum: 0,
  };
  if (wide) {
    Object.assign(value, {
      bg_block_bitmap_hi: Math.floor(fields.blockBitmapBlock / 2 ** 32),
      bg_inode_bitmap_hi: Math.floor(fields.inodeBitmapBlock / 2 ** 32),
      bg_inode_table_hi: Math.floor(fields.inodeTableBlock / 2 ** 32),
      bg_free_blocks_count_hi: fields.freeBlockCount >>> 16,
      bg_free_inodes_count_hi: fields.freeInodeCount >>> 16,
      bg_used_dirs_count_hi: fields.usedDirCount >>> 16,
      bg_itable_unused_hi: fields.itableUnusedCount >>> 16,
      bg_block_bitmap_csum_hi: fields.blockBitmapCsum >>> 16,
      bg_inode_bitmap_csum_hi: fields.inodeBitmapCsum >>> 16,
    });
  }
  const slot = target.subarray(offset, offset + options.descSizeBytes);
  slot.fill(0);
  groupDescriptorCodec.encode(value, wideScratch(slot, wide), 0);
  if (!wide) slot.set(scratch.subarray(0, 32));
  if (options.fsSeed !== undefined) {
    slot.writeUInt16LE(groupDescriptorChecksum(slot, options.group, options.fsSeed), GROUP_DESCRIPTOR_CHECKSUM_OFFSET);
  }
}

const scratch = Buffer.alloc(64);
/** The codec is 64 bytes wide; a 32-byte descriptor is encoded into scratch space and its head copied. */
function wideScratch(slot: Buffer, wide: boolean): Buffer {
  if (wide) return slot;
  scratch.fill(0);
  return scratch;
}

export function decodeGroupDescriptor(buffer: Buffer, offset: number, descSizeBytes: 32 | 64): StructValue {
  const copy = Buffer.alloc(64);
  buffer.copy(copy, 0, offset, offset + descSizeBytes);
  return groupDescriptorCodec.decode(copy);
}

export function groupDescriptorChecksum(descriptor: Buffer, group: number, fsSeed: number): number {
  const groupBytes = Buffer.alloc(4);
  groupBytes.writeUInt32LE(group);
  const zeroed = Buffer.from(descriptor);
  zeroed.writeUInt16LE(0, GROUP_DESCRIPTOR_CHECKSUM_OFFSET);
  return crc32c(crc32c(fsSeed, groupBytes), zeroed) & 0xffff;
}
