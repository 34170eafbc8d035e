// Extent tree nodes (ifork.rst): 12-byte header, leaf entries, index entries, and the 4-byte checksum
// tail after eh_max slots of a tree block (checksums.rst).
import { crc32c } from '../../kernels/index.js';
import { EXT4_EXT_MAGIC, EXTENT_ENTRY_BYTES } from './constants.js';
import { structCodec } from './struct-codec.js';

export const extentHeaderCodec = structCodec(12, [
  { name: 'eh_magic', offset: 0x0, type: 'u16' },
  { name: 'eh_entries', offset: 0x2, type: 'u16' },
  { name: 'eh_max', offset: 0x4, type: 'u16' },
  { name: 'eh_depth', offset: 0x6, type: 'u16' },
  { name: 'eh_generation', offset: 0x8, type: 'u32' },
]);

export const extentLeafCodec = structCodec(12, [
  { name: 'ee_block', offset: 0x0, type: 'u32' },
  { name: 'ee_len', offset: 0x4, type: 'u16' },
  { name: 'ee_start_hi', offset: 0x6, type: 'u16' },
  { name: 'ee_start_lo', offset: 0x8, type: 'u32' },
]);

export const extentIndexCodec = structCodec(12, [
  { name: 'ei_block', offset: 0x0, type: 'u32' },
  { name: 'ei_leaf_lo', offset: 0x4, type: 'u32' },
  { name: 'ei_leaf_hi', offset: 0x8, type: 'u16' },
  { name: 'ei_unused', offset: 0xa, type: 'u16' },
]);

/** A mapped run: `blockCount` logical blocks from `logicalBlock` stored at `physicalBlock`. */
export interface Extent {
  logicalBlock: number;
  physicalBlock: number;
  blockCount: number;
}

/** An index entry: the subtree for logical blocks ≥ `logicalBlock` lives in `childBlock`. */
export interface ExtentIndex {
  logicalBlock: number;
  childBlock: number;
}

/**
 * Encodes one node (header + entries) into `target` (60 bytes of i_block, or a whole tree block).
 * `maxEntries` is eh_max: 4 in the inode, (blocksize − 12) / 12 in a block.
 */
export function encodeExtentNode(
  target: Buffer,
  node: { depth: number; maxEntries: number; leaves?: readonly Extent[]; indexes?: readonly ExtentIndex[] },
): void {
  const count = node.depth === 0 ? node.leaves!.length : node.indexes!.length;
  extentHeaderCodec.encode(
    { eh_magic: EXT4_EXT_MAGIC, eh_entries: count, eh_max: node.maxEntries, eh_depth: node.depth, eh_generation: 0 },
    target,
    0,
  );
  let at = 12;
  if (node.depth === 0) {
    for (const e of node.leaves!) {
      extentLeafCodec.encode(
        {
          ee_block: e.logicalBlock,
          ee_len: e.blockCount,
          ee_start_hi: Math.floor(e.physicalBlock / 2 ** 32),
          ee_start_lo: e.physicalBlock % 2 ** 32,
        },
        target,
        at,
      );
      at += EXTENT_ENTRY_BYTES;
    }
  } else {
    for (const e of node.indexes!) {
      extentIndexCodec.encode(
        {
          ei_block: e.logicalBlock,
          ei_leaf_lo: e.childBlock % 2 ** 32,
          ei_leaf_hi: Math.floor(e.childBlock / 2 ** 32),
          ei_unused: 0,
        },
        target,
        at,
      );
      at += EXTENT_ENTRY_BYTES;
    }
  }
}

/** Writes the tail checksum of a tree block: crc32c(inode seed, header and all eh_max slots). */
export function sealExtentBlock(block: Buffer, inodeSeed: number): void {
  const max = block.readUInt16LE(4);
  const tailOffset = 12 + EXTENT_ENTRY_BYTES * max;
  block.writeUInt32LE(crc32c(inodeSeed, block.subarray(0, tailOffset)), tailOffset);
}

export function decodeExtentNode(buffer: Buffer): { depth: number; maxEntries: number; leaves: Extent[]; indexes: ExtentIndex[] } {
  const header = extentHeaderCodec.decode(buffer);
  const depth = header.eh_depth as number;
  const leaves: Extent[] = [];
  const indexes: ExtentIndex[] = [];
  for (let i = 0; i < (header.eh_entries as number); i++) {
    const at = 12 + EXTENT_ENTRY_BYTES * i;
    if (depth === 0) {
      const l = extentLeafCodec.decode(buffer, at);
      leaves.push({
        logicalBlock: l.ee_block as number,
        blockCount: l.ee_len as number,
        physicalBlock: (l.ee_start_hi as number) * 2 ** 32 + (l.ee_start_lo as number),
      });
    } else {
      const x = extentIndexCodec.decode(buffer, at);
      indexes.push({ logicalBlock: x.ei_block as number, childBlock: (x.ei_leaf_hi as number) * 2 ** 32 + (x.ei_leaf_lo as number) });
    }
  }
  return { depth, maxEntries: header.eh_max as number, leaves, indexes };
}
