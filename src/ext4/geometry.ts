// Filesystem geometry from a block count: groups, inodes per group, descriptor table size, journal size
// and which groups carry superblock backups (blockgroup.rst "Flexible Block Groups", sparse_super).
import assert from 'node:assert/strict';
import { AmikitError } from '../shared/errors.js';
import {
  BLOCK_SIZE_BYTES,
  BLOCKS_PER_GROUP,
  DESC_SIZE_32BIT_BYTES,
  DESC_SIZE_64BIT_BYTES,
  GROUPS_PER_FLEX,
  INODE_SIZE_BYTES,
  INODES_PER_BLOCK,
  JBD2_MIN_JOURNAL_BLOCKS,
} from './format/constants.js';

/** One inode per 16 KiB of space, as mke2fs.conf's default inode_ratio. */
export const INODE_RATIO_BYTES = 16384;
/** The block bitmap is one block, so a group holds at most 8 × blocksize inodes too. */
const MAX_INODES_PER_GROUP = 8 * BLOCK_SIZE_BYTES;

export interface Geometry {
  blockSizeBytes: number;
  blockCount: number;
  groupCount: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  inodeCount: number;
  inodeTableBlockCount: number;
  descSizeBytes: 32 | 64;
  gdtBlockCount: number;
  journalBlockCount: number;
}

/**
 * Journal size for a filesystem of `blockCount` blocks: the same steps as e2fsprogs'
 * ext2fs_default_journal_size (4 MiB up to 128 MiB, … 1 GiB from 128 GiB), never below jbd2's minimum.
 */
export function defaultJournalBlockCount(blockCount: number): number {
  const steps: [number, number][] = [
    [32768, 1024],
    [256 * 1024, 4096],
    [512 * 1024, 8192],
    [4096 * 1024, 16384],
    [8192 * 1024, 32768],
    [16384 * 1024, 65536],
    [32768 * 1024, 131072],
  ];
  for (const [below, journal] of steps) if (blockCount < below) return Math.max(JBD2_MIN_JOURNAL_BLOCKS, journal);
  return 262144;
}

/** sparse_super: backups in groups 0, 1 and the powers of 3, 5 and 7. */
export function hasSuperblockBackup(group: number): boolean {
  if (group <= 1) return true;
  for (const base of [3, 5, 7]) {
    let power = base;
    while (power < group) power *= base;
    if (power === group) return true;
  }
  return false;
}

/**
 * Computes the geometry for at most `maxBlockCount` blocks holding at least `minInodeCount` inodes.
 * A last group too small for its own metadata is dropped, as mke2fs does.
 * @throws AmikitError NO_SPACE when no geometry can hold that many inodes; FS_LIMIT beyond 32-bit limits.
 */
export function computeGeometry(maxBlockCount: number, minInodeCount: number, compat: boolean): Geometry {
  let blockCount = Math.floor(maxBlockCount);
  const descSizeBytes = compat ? DESC_SIZE_32BIT_BYTES : DESC_SIZE_64BIT_BYTES;
  if (compat && blockCount >= 2 ** 32) {
    throw new AmikitError('FS_LIMIT', `a filesystem without 64bit holds at most 2^32 blocks (16 TiB); asked for ${blockCount} blocks`);
  }
  for (;;) {
    const groupCount = Math.ceil(blockCount / BLOCKS_PER_GROUP);
    const ratioInodes = Math.floor((blockCount * BLOCK_SIZE_BYTES) / INODE_RATIO_BYTES);
    const wanted = Math.max(ratioInodes, minInodeCount);
    const inodesPerGroup = roundUp(Math.max(INODES_PER_BLOCK, Math.ceil(wanted / groupCount)), INODES_PER_BLOCK);
    if (inodesPerGroup > MAX_INODES_PER_GROUP || inodesPerGroup * groupCount > 2 ** 32 - 1) {
      throw new AmikitError('NO_SPACE', `${minInodeCount} inodes do not fit ${groupCount} block group(s); a larger size is needed`, {
        data: { minInodeCount, groupCount },
      });
    }
    const gdtBlockCount = Math.ceil((groupCount * descSizeBytes) / BLOCK_SIZE_BYTES);
    const inodeTableBlockCount = (inodesPerGroup * INODE_SIZE_BYTES) / BLOCK_SIZE_BYTES;
    const last = groupCount - 1;
    const lastGroupBlockCount = blockCount - last * BLOCKS_PER_GROUP;
    const lastOverhead =
      (hasSuperblockBackup(last) ? 1 + gdtBlockCount : 0) + (last % GROUPS_PER_FLEX === 0 ? 2 + inodeTableBlockCount : 0);
    if (groupCount > 1 && lastGroupBlockCount < lastOverhead + 64) {
      blockCount = last * BLOCKS_PER_GROUP;
      continue;
    }
    assert.ok(blockCount > 0);
    return {
      blockSizeBytes: BLOCK_SIZE_BYTES,
      blockCount,
      groupCount,
      blocksPerGroup: BLOCKS_PER_GROUP,
      inodesPerGroup,
      inodeCount: inodesPerGroup * groupCount,
      inodeTableBlockCount,
      descSizeBytes,
      gdtBlockCount,
      journalBlockCount: defaultJournalBlockCount(blockCount),
    };
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
