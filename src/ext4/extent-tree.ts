// Builds minimal extent trees (ifork.rst): ≤4 extents in the inode, otherwise full 340-entry leaf
// blocks under index levels as deep as needed — each level packed so e2fsck finds nothing to narrow.
import assert from 'node:assert/strict';
import { EXTENTS_IN_INODE, EXTENTS_PER_BLOCK, BLOCK_SIZE_BYTES } from './format/constants.js';
import { encodeExtentNode, sealExtentBlock, type Extent, type ExtentIndex } from './format/extent.js';

/** Number of tree blocks (leaves plus index blocks) a file with `extentCount` extents needs. */
export function extentTreeBlockCount(extentCount: number): number {
  let total = 0;
  let entries = extentCount;
  while (entries > EXTENTS_IN_INODE) {
    entries = Math.ceil(entries / EXTENTS_PER_BLOCK);
    total += entries;
  }
  return total;
}

export interface ExtentTreeNode {
  physicalBlock: number;
  bytes: Buffer;
}

export interface ExtentTree {
  /** The 60 bytes of i_block. */
  iBlock: Buffer;
  /** Tree blocks to write, sealed with their checksum tail when `inodeSeed` was given. */
  nodes: ExtentTreeNode[];
}

/**
 * Lays `extents` (ascending, non-overlapping) into a tree whose blocks are `treeBlocks` (exactly
 * extentTreeBlockCount(extents.length) of them, used leaves first, then each index level).
 * hcsshim doubled the physical offset of leaves after the first (fs-anchors §1.5): here every leaf entry
 * is the extent's own physical block, never recomputed from a base.
 */
export function buildExtentTree(extents: readonly Extent[], treeBlocks: readonly number[], inodeSeed?: number): ExtentTree {
  assert.equal(treeBlocks.length, extentTreeBlockCount(extents.length));
  // From the shared pool (zeroed here): one separate zeroed allocation per inode was measurable GC work.
  const iBlock = Buffer.allocUnsafe(60).fill(0);
  const nodes: ExtentTreeNode[] = [];
  let nextTreeBlock = 0;
  let depth = 0;
  let leaves: readonly Extent[] | undefined = extents;
  let indexes: ExtentIndex[] = [];
  let count = extents.length;
  while (count > EXTENTS_IN_INODE) {
    const parents: ExtentIndex[] = [];
    for (let i = 0; i < count; i += EXTENTS_PER_BLOCK) {
      const physicalBlock = treeBlocks[nextTreeBlock++]!;
      const bytes = Buffer.alloc(BLOCK_SIZE_BYTES);
      const slice = leaves ? { leaves: leaves.slice(i, i + EXTENTS_PER_BLOCK) } : { indexes: indexes.slice(i, i + EXTENTS_PER_BLOCK) };
      encodeExtentNode(bytes, { depth, maxEntries: EXTENTS_PER_BLOCK, ...slice });
      if (inodeSeed !== undefined) sealExtentBlock(bytes, inodeSeed);
      nodes.push({ physicalBlock, bytes });
      const first = leaves ? leaves[i]!.logicalBlock : indexes[i]!.logicalBlock;
      parents.push({ logicalBlock: first, childBlock: physicalBlock });
    }
    leaves = undefined;
    indexes = parents;
    count = parents.length;
    depth++;
  }
  encodeExtentNode(iBlock, { depth, maxEntries: EXTENTS_IN_INODE, ...(leaves ? { leaves } : { indexes }) });
  return { iBlock, nodes };
}

/** A logical block range of a file that holds data. */
export interface LogicalRange {
  logicalBlock: number;
  blockCount: number;
}

/**
 * Pairs logical ranges with the physical runs allocated for them (same total, in order), cutting at
 * range and run boundaries and at the 32768-block limit of an initialized extent. Adjacent pieces that
 * continue each other both logically and physically are merged.
 */
export function mapExtents(ranges: readonly LogicalRange[], runs: readonly { startBlock: number; blockCount: number }[]): Extent[] {
  const out: Extent[] = [];
  let runIndex = 0;
  let runOffset = 0;
  for (const range of ranges) {
    let done = 0;
    while (done < range.blockCount) {
      const run = runs[runIndex]!;
      assert.ok(run, 'fewer physical blocks than logical ones');
      const take = Math.min(range.blockCount - done, run.blockCount - runOffset);
      const logicalBlock = range.logicalBlock + done;
      const physicalBlock = run.startBlock + runOffset;
      const last = out[out.length - 1];
      if (last && last.logicalBlock + last.blockCount === logicalBlock && last.physicalBlock + last.blockCount === physicalBlock) {
        last.blockCount += take;
      } else {
        out.push({ logicalBlock, physicalBlock, blockCount: take });
      }
      done += take;
      runOffset += take;
      if (runOffset === run.blockCount) {
        runIndex++;
        runOffset = 0;
      }
    }
  }
  // Split anything longer than an initialized extent may be.
  const limited: Extent[] = [];
  for (const e of out) {
    for (let at = 0; at < e.blockCount; at += 32768) {
      limited.push({ logicalBlock: e.logicalBlock + at, physicalBlock: e.physicalBlock + at, blockCount: Math.min(32768, e.blockCount - at) });
    }
  }
  return limited;
}
