// Plans a whole ext4 filesystem from a fully known tree before any byte is written: sizing, geometry,
// metadata placement (flex_bg, sparse_super backups), inode numbers, and every block of every inode.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32c } from '../kernels/index.js';
import { AmikitError } from '../shared/errors.js';
import { MiB } from '../shared/units.js';
import type { FileTree } from '../tree/file-tree.js';
import type { ByteSource } from '../tree/byte-source.js';
import type { FileNode, Node } from '../tree/node.js';
import { BlockAllocator, OutOfBlocks, type BlockRun } from './block-allocator.js';
import type { Ext4Options } from './ext4-options.js';
import { buildExtentTree, extentTreeBlockCount, mapExtents, type LogicalRange } from './extent-tree.js';
import {
  BLOCK_SIZE_BYTES,
  BLOCKS_PER_GROUP,
  COMPAT_DIR_INDEX,
  COMPAT_EXT_ATTR,
  COMPAT_HAS_JOURNAL,
  EXT4_EXTENTS_FL,
  EXT4_JOURNAL_INO,
  FAST_SYMLINK_MAX_BYTES,
  GROUPS_PER_FLEX,
  INCOMPAT_64BIT,
  INCOMPAT_EXTENTS,
  INCOMPAT_FILETYPE,
  INCOMPAT_FLEX_BG,
  INLINE_XATTR_SPACE_BYTES,
  LOST_AND_FOUND_BLOCK_COUNT,
  LOST_AND_FOUND_INO,
  RO_COMPAT_DIR_NLINK,
  RO_COMPAT_EXTRA_ISIZE,
  RO_COMPAT_HUGE_FILE,
  RO_COMPAT_LARGE_FILE,
  RO_COMPAT_METADATA_CSUM,
  RO_COMPAT_SPARSE_SUPER,
} from './format/constants.js';
import { planDirBlocks, type DirBlocksOptions, type DirEntryInput, type PlannedDirBlocks } from './format/dir-blocks.js';
import type { Extent } from './format/extent.js';
import { layoutXattrs } from './format/xattr.js';
import { computeGeometry, hasSuperblockBackup, type Geometry } from './geometry.js';
import { numberInodes, type DirEntryRef } from './number-inodes.js';

export interface GroupPlan {
  group: number;
  hasBackup: boolean;
  blockBitmapBlock: number;
  inodeBitmapBlock: number;
  inodeTableBlock: number;
}

export type InodeKind = Node['kind'] | 'journal';

export interface InodePlan {
  ino: number;
  kind: InodeKind;
  /** The tree node (undefined for the journal). */
  node?: Node;
  linkCount: number;
  sizeBytes: number;
  /** Data blocks in logical order (files, directories, slow symlinks, the journal). */
  logicalRanges: LogicalRange[];
  dataBlockCount: number;
  /** Filled by layout: the extents and the blocks of the extent tree. */
  extents: Extent[];
  treeBlocks: number[];
  /** Encoded in-inode xattr area (starts with the 0xEA020000 magic) or null. */
  xattrInline: Buffer | null;
  /** Index into Ext4Plan.xattrBlocks, or -1. */
  xattrBlockIndex: number;
  /** Directories: parent inode, entries (no "." / ".."), and whether buildDirBlocks made an htree. */
  parentIno?: number;
  entries?: DirEntryRef[];
  indexed?: boolean;
  /** Directories: the layout of their blocks, made while planning, encoded by the writer. */
  dirBlocks?: PlannedDirBlocks;
}

export interface XattrBlockPlan {
  bytes: Buffer;
  refcount: number;
  physicalBlock: number;
}

export interface Ext4Plan {
  geometry: Geometry;
  groups: GroupPlan[];
  checksums: boolean;
  uuid: Buffer;
  hashSeed: number[];
  /** crc32c(~0, uuid): seeds every metadata checksum (metadata_csum only). */
  fsSeed: number;
  label: Buffer;
  timestampSec: number;
  featureCompat: number;
  featureIncompat: number;
  featureRoCompat: number;
  featureNames: string[];
  /** Used inodes by number (reserved 1–10 other than the journal are absent). */
  inodes: InodePlan[];
  /** Regular files with stored data, in the order their bytes are read and written. */
  dataFiles: InodePlan[];
  xattrBlocks: XattrBlockPlan[];
  /** Every block in use: metadata and allocations, ascending and merged. */
  usedRuns: BlockRun[];
  usedBlockCount: number;
  freeBlockCount: number;
  reservedBlockCount: number;
  inodesUsed: number;
  lastIno: number;
  storedDataBytes: number;
  sizeBytes: number;
}

/** Free space an automatically sized filesystem keeps: a quarter of the content, at least this much. */
const AUTO_MIN_FREE_BYTES = 16 * MiB;
const BLOCKS_PER_MIB = MiB / BLOCK_SIZE_BYTES;

/** Everything about the tree that does not depend on the geometry. */
interface Prepared {
  inodes: InodePlan[];
  dataFiles: InodePlan[];
  xattrBlocks: Buffer[];
  xattrRefcounts: number[];
  lastIno: number;
  contentBlockCount: number;
  storedDataBytes: number;
}

/**
 * Plans the filesystem for `tree`. Without options.sizeBytes the size is the smallest whole number of
 * MiB that holds everything (metadata, journal, inode tables) plus max(¼ of the content, 16 MiB) free:
 * a quarter keeps the 5% root reserve and first-boot writes (logs, caches, package state) off the full
 * mark, the 16 MiB floor lets an empty or tiny tree boot, and since images are sparse and grown to the
 * volume at first boot (growpart + resize2fs) a larger default would buy nothing.
 * @throws AmikitError NO_SPACE (with the needed size) when the content does not fit options.sizeBytes.
 */
export function planExt4(tree: FileTree, options: Ext4Options): Ext4Plan {
  const label = Buffer.from(options.label ?? '', 'utf8');
  if (label.length > 16) throw new AmikitError('USAGE', `label '${options.label}' is ${label.length} bytes; ext4 allows 16`);
  if (!Number.isFinite(options.timestampSec)) throw new AmikitError('USAGE', 'timestampSec must be a number');
  const checksums = !options.compat;
  const identity = deriveIdentity(options.seed);
  if (options.uuid !== undefined) identity.uuid = parseUuid(options.uuid);
  const fsSeed = crc32c(0xffffffff, identity.uuid);
  const prepared = prepare(tree, options, { hashSeed: identity.hashSeed, fsSeed, checksums });
  const attempt = (blockCount: number): Ext4Plan | undefined => {
    try {
      return layout(prepared, blockCount, { ...identity, fsSeed, checksums, label, timestampSec: options.timestampSec });
    } catch (error) {
      if (error instanceof OutOfBlocks) return undefined;
      if (error instanceof AmikitError && error.code === 'NO_SPACE') return undefined;
      throw error;
    }
  };

  if (options.sizeBytes !== undefined) {
    if (!(options.sizeBytes > 0)) throw new AmikitError('USAGE', `invalid filesystem size ${options.sizeBytes}`);
    const plan = attempt(Math.floor(options.sizeBytes / BLOCK_SIZE_BYTES));
    if (plan) return plan;
    const neededMiB = Math.ceil(minimumBlockCount(prepared, attempt) / BLOCKS_PER_MIB);
    throw new AmikitError(
      'NO_SPACE',
      `content needs at least ${neededMiB} MiB (${neededMiB * BLOCKS_PER_MIB} blocks of 4 KiB); --size is ${Math.floor(options.sizeBytes / MiB)} MiB`,
      { data: { neededBytes: neededMiB * MiB, sizeBytes: options.sizeBytes } },
    );
  }

  const wantFree = Math.max(Math.ceil(prepared.contentBlockCount / 4), AUTO_MIN_FREE_BYTES / BLOCK_SIZE_BYTES);
  let blockCount = roundUpMiB(prepared.contentBlockCount + wantFree + 2048);
  for (;;) {
    const plan = attempt(blockCount);
    if (plan && plan.freeBlockCount >= wantFree) return plan;
    const shortBy = plan ? wantFree - plan.freeBlockCount : Math.ceil(blockCount / 8);
    blockCount = roundUpMiB(blockCount + shortBy);
  }
}

function roundUpMiB(blockCount: number): number {
  return Math.ceil(blockCount / BLOCKS_PER_MIB) * BLOCKS_PER_MIB;
}

/** Smallest whole-MiB block count that fits (for the NO_SPACE message). */
function minimumBlockCount(prepared: Prepared, attempt: (blockCount: number) => Ext4Plan | undefined): number {
  let low = Math.max(1, Math.floor(prepared.contentBlockCount / BLOCKS_PER_MIB)); // MiB known not to suffice or the floor
  let high = low * 2 + 16;
  while (!attempt(high * BLOCKS_PER_MIB)) high *= 2;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (attempt(mid * BLOCKS_PER_MIB)) high = mid;
    else low = mid;
  }
  return high * BLOCKS_PER_MIB;
}

/** The 16 bytes of a canonical UUID string. @throws AmikitError USAGE on any other form. */
export function parseUuid(text: string): Buffer {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
    throw new AmikitError('USAGE', `invalid filesystem UUID '${text}': use the 8-4-4-4-12 hex form`);
  }
  return Buffer.from(text.replace(/-/g, ''), 'hex');
}

/**
 * UUID and hash seed: from sha256 over a domain-separated seed (UUID marked version 8, RFC 9562's
 * custom layout, with the RFC variant), or random without a seed.
 */
function deriveIdentity(seed: string | undefined): { uuid: Buffer; hashSeed: number[] } {
  const uuid = seed === undefined ? randomBytes(16) : createHash('sha256').update(`amikit/ext4/uuid\0${seed}`).digest().subarray(0, 16);
  uuid[6] = (uuid[6]! & 0x0f) | (seed === undefined ? 0x40 : 0x80);
  uuid[8] = (uuid[8]! & 0x3f) | 0x80;
  const seedBytes = seed === undefined ? randomBytes(16) : createHash('sha256').update(`amikit/ext4/hash-seed\0${seed}`).digest();
  const hashSeed = [0, 1, 2, 3].map((i) => seedBytes.readUInt32LE(4 * i));
  return { uuid: Buffer.from(uuid), hashSeed };
}

function dirBlocksOptions(
  plan: { hashSeed: number[]; fsSeed: number; checksums: boolean },
  ino: number,
  parentIno: number,
): DirBlocksOptions {
  return {
    blockSizeBytes: BLOCK_SIZE_BYTES,
    dirInode: ino,
    parentInode: parentIno,
    hashVersion: 'half_md4',
    hashSeed: plan.hashSeed,
    signedChars: false,
    ...(plan.checksums ? { checksum: { fsSeed: plan.fsSeed, inodeGeneration: 0 } } : {}),
    ...(ino === LOST_AND_FOUND_INO ? { minBlocks: LOST_AND_FOUND_BLOCK_COUNT } : {}),
  };
}

function dirEntryInputs(entries: readonly DirEntryRef[]): DirEntryInput[] {
  return entries.map((e) => ({ name: e.name, inode: e.ino, fileType: e.fileType }));
}

function prepare(
  tree: FileTree,
  options: Ext4Options,
  ids: { hashSeed: number[]; fsSeed: number; checksums: boolean },
): Prepared {
  const numbering = numberInodes(tree, options.timestampSec);
  const xattrBlocks: Buffer[] = [];
  const xattrRefcounts: number[] = [];
  const xattrIndex = new Map<string, number>();
  const inodes: InodePlan[] = [];
  let contentBlockCount = 0;
  let storedDataBytes = 0;
  for (const numbered of numbering.inodes) {
    const node = numbered.node;
    const plan: InodePlan = {
      ino: numbered.ino,
      kind: node.kind,
      node,
      linkCount: numbered.linkCount,
      sizeBytes: 0,
      logicalRanges: [],
      dataBlockCount: 0,
      extents: [],
      treeBlocks: [],
      xattrInline: null,
      xattrBlockIndex: -1,
    };
    if (node.kind === 'dir') {
      plan.parentIno = numbered.parentIno!;
      plan.entries = numbered.entries!;
      // Planned once here and encoded from this plan by the writer (validation, uniqueness and hashing
      // of every name ran twice before).
      plan.dirBlocks = planDirBlocks(dirEntryInputs(plan.entries), dirBlocksOptions(ids, plan.ino, plan.parentIno));
      const count = plan.dirBlocks.blockCount;
      plan.logicalRanges = [{ logicalBlock: 0, blockCount: count }];
      plan.sizeBytes = count * BLOCK_SIZE_BYTES;
    } else if (node.kind === 'file') {
      plan.sizeBytes = node.sizeBytes;
      plan.logicalRanges = fileLogicalRanges(node);
      storedDataBytes += storedBytes(node);
    } else if (node.kind === 'symlink') {
      plan.sizeBytes = node.target.length;
      if (node.target.length === 0) throw new AmikitError('FS_LIMIT', `inode ${plan.ino}: a symlink needs a non-empty target`);
      if (node.target.length >= BLOCK_SIZE_BYTES) {
        throw new AmikitError('FS_LIMIT', `inode ${plan.ino}: symlink target of ${node.target.length} bytes exceeds ${BLOCK_SIZE_BYTES - 1}`);
      }
      if (node.target.length > FAST_SYMLINK_MAX_BYTES) plan.logicalRanges = [{ logicalBlock: 0, blockCount: 1 }];
    }
    plan.dataBlockCount = plan.logicalRanges.reduce((sum, r) => sum + r.blockCount, 0);
    contentBlockCount += plan.dataBlockCount + extentTreeBlockCount(plan.logicalRanges.length);
    if (node.meta.xattrs.size > 0) {
      const laid = layoutXattrs(node.meta.xattrs, { inlineSpaceBytes: INLINE_XATTR_SPACE_BYTES, blockSizeBytes: BLOCK_SIZE_BYTES });
      plan.xattrInline = laid.inlineArea;
      if (laid.block) {
        const key = createHash('sha256').update(laid.block).digest('hex');
        let index = xattrIndex.get(key);
        if (index === undefined) {
          index = xattrBlocks.length;
          xattrIndex.set(key, index);
          xattrBlocks.push(laid.block);
          xattrRefcounts.push(0);
          contentBlockCount++;
        }
        xattrRefcounts[index]!++;
        plan.xattrBlockIndex = index;
      }
    }
    inodes.push(plan);
  }
  const dataFiles = inodes.filter((p) => p.kind === 'file' && p.dataBlockCount > 0);
  sortForReading(dataFiles);
  return { inodes, dataFiles, xattrBlocks, xattrRefcounts, lastIno: numbering.lastIno, contentBlockCount, storedDataBytes };
}

function storedBytes(file: FileNode): number {
  return file.content.kind === 'bytes' ? file.content.bytes.length : file.content.storedBytes;
}

/** Logical blocks holding data: all of a dense file, or the blocks touched by a sparse file's segments. */
export function fileLogicalRanges(file: FileNode): LogicalRange[] {
  const stored = storedBytes(file);
  if (!file.segments) {
    // Dense files (all but sparse ones): one range, without building the one-segment map below.
    if (stored !== file.sizeBytes) throw new AmikitError('INTERNAL', `file content holds ${stored} bytes but its segments ${file.sizeBytes}`);
    if (file.sizeBytes === 0) return [];
    const blockCount = Math.ceil(file.sizeBytes / BLOCK_SIZE_BYTES);
    if (blockCount > 2 ** 32) throw new AmikitError('FS_LIMIT', `file of ${file.sizeBytes} bytes exceeds ext4's 16 TiB file size limit`);
    return [{ logicalBlock: 0, blockCount }];
  }
  const segments = file.segments ?? [{ offsetBytes: 0, lengthBytes: file.sizeBytes }];
  const total = segments.reduce((sum, s) => sum + s.lengthBytes, 0);
  if (total !== stored) {
    throw new AmikitError('INTERNAL', `file content holds ${stored} bytes but its segments ${total}`);
  }
  const ranges: LogicalRange[] = [];
  for (const segment of segments) {
    if (segment.lengthBytes === 0) continue;
    const first = Math.floor(segment.offsetBytes / BLOCK_SIZE_BYTES);
    const end = Math.ceil((segment.offsetBytes + segment.lengthBytes) / BLOCK_SIZE_BYTES);
    const last = ranges[ranges.length - 1];
    if (last && last.logicalBlock + last.blockCount >= first) {
      assert.ok(last.logicalBlock <= first, 'segments must ascend');
      last.blockCount = Math.max(last.blockCount, end - last.logicalBlock);
    } else {
      ranges.push({ logicalBlock: first, blockCount: end - first });
    }
  }
  if (ranges.length > 0 && ranges[ranges.length - 1]!.logicalBlock + ranges[ranges.length - 1]!.blockCount > 2 ** 32) {
    throw new AmikitError('FS_LIMIT', `file of ${file.sizeBytes} bytes exceeds ext4's 16 TiB file size limit`);
  }
  return ranges;
}

/**
 * In-memory content first, then by source (first seen) and offset: each layer file is read sequentially.
 * Sort keys sit in typed arrays by position and an index order is sorted, not the files with a key
 * object each.
 */
function sortForReading(files: InodePlan[]): void {
  const sourceRank = new Map<ByteSource, number>();
  const ranks = new Int32Array(files.length);
  const offsets = new Float64Array(files.length);
  files.forEach((p, i) => {
    const content = (p.node as FileNode).content;
    if (content.kind === 'bytes') {
      ranks[i] = -1;
      offsets[i] = p.ino;
      return;
    }
    let rank = sourceRank.get(content.source);
    if (rank === undefined) {
      rank = sourceRank.size;
      sourceRank.set(content.source, rank);
    }
    ranks[i] = rank;
    offsets[i] = content.offsetBytes;
  });
  const order = Array.from(files.keys()).sort((a, b) => ranks[a]! - ranks[b]! || offsets[a]! - offsets[b]! || files[a]!.ino - files[b]!.ino);
  const sorted = order.map((i) => files[i]!);
  sorted.forEach((p, i) => (files[i] = p));
}

interface Identity {
  uuid: Buffer;
  hashSeed: number[];
  fsSeed: number;
  checksums: boolean;
  label: Buffer;
  timestampSec: number;
}

function layout(prepared: Prepared, maxBlockCount: number, id: Identity): Ext4Plan {
  const minInodes = prepared.lastIno + Math.max(64, Math.ceil(prepared.lastIno / 10));
  const geometry = computeGeometry(maxBlockCount, minInodes, !id.checksums);
  const { blockCount, groupCount, gdtBlockCount, inodeTableBlockCount } = geometry;
  const used: BlockRun[] = [];
  const backups: BlockRun[] = [];
  for (let g = 0; g < groupCount; g++) {
    if (hasSuperblockBackup(g)) backups.push({ startBlock: g * BLOCKS_PER_GROUP, blockCount: 1 + gdtBlockCount });
  }
  used.push(...backups);
  const allocator = new BlockAllocator(blockCount, backups);

  // flex_bg: the bitmaps and inode tables of 16 groups packed at the start of the first one.
  const groups: GroupPlan[] = [];
  for (let g = 0; g < groupCount; g++) {
    groups.push({ group: g, hasBackup: hasSuperblockBackup(g), blockBitmapBlock: 0, inodeBitmapBlock: 0, inodeTableBlock: 0 });
  }
  for (let first = 0; first < groupCount; first += GROUPS_PER_FLEX) {
    const members = groups.slice(first, first + GROUPS_PER_FLEX);
    let cursor = first * BLOCKS_PER_GROUP;
    const take = (count: number): number => {
      const start = allocator.allocContiguous(count, cursor);
      used.push({ startBlock: start, blockCount: count });
      cursor = start + count;
      return start;
    };
    for (const g of members) g.blockBitmapBlock = take(1);
    for (const g of members) g.inodeBitmapBlock = take(1);
    for (const g of members) g.inodeTableBlock = take(inodeTableBlockCount);
  }

  // Every attempt lays out the same InodePlan objects, resetting what the previous one placed: only the
  // last attempt's plan is ever returned, and a copy of every inode per attempt was ~3 MB of garbage.
  const inodes = prepared.inodes;
  for (const p of inodes) {
    if (p.extents.length > 0) p.extents = [];
    if (p.treeBlocks.length > 0) p.treeBlocks = [];
  }

  // Journal: one contiguous run when the free space allows (it always does but on tiny filesystems).
  const journalBlockCount = geometry.journalBlockCount;
  const journal: InodePlan = {
    ino: EXT4_JOURNAL_INO,
    kind: 'journal',
    linkCount: 1,
    sizeBytes: journalBlockCount * BLOCK_SIZE_BYTES,
    logicalRanges: [{ logicalBlock: 0, blockCount: journalBlockCount }],
    dataBlockCount: journalBlockCount,
    extents: [],
    treeBlocks: [],
    xattrInline: null,
    xattrBlockIndex: -1,
  };
  let journalRuns: BlockRun[];
  try {
    journalRuns = [{ startBlock: allocator.allocContiguous(journalBlockCount), blockCount: journalBlockCount }];
  } catch (error) {
    if (!(error instanceof OutOfBlocks)) throw error;
    journalRuns = allocator.allocRuns(journalBlockCount);
  }
  used.push(...journalRuns);
  journal.extents = mapExtents(journal.logicalRanges, journalRuns);

  const allocate = (p: InodePlan): void => {
    if (p.dataBlockCount === 0) return;
    const runs = allocator.allocRuns(p.dataBlockCount);
    for (const run of runs) used.push(run);
    p.extents = mapExtents(p.logicalRanges, runs);
  };
  // Directories and slow symlinks first (small, read at every lookup), then xattr blocks, then file
  // data in reading order, then the extent trees that describe it.
  for (const p of inodes) if (p.kind === 'dir' || p.kind === 'symlink') allocate(p);
  const xattrBlocks: XattrBlockPlan[] = prepared.xattrBlocks.map((bytes, i) => {
    const [run] = allocator.allocRuns(1);
    used.push(run!);
    return { bytes, refcount: prepared.xattrRefcounts[i]!, physicalBlock: run!.startBlock };
  });
  const dataFiles = prepared.dataFiles;
  for (const p of dataFiles) allocate(p);
  for (const p of [journal, ...inodes]) {
    const count = extentTreeBlockCount(p.extents.length);
    if (count === 0) continue;
    const runs = allocator.allocRuns(count);
    for (const run of runs) used.push(run);
    for (const run of runs) for (let i = 0; i < run.blockCount; i++) p.treeBlocks.push(run.startBlock + i);
  }

  const usedRuns = mergeRuns(used);
  const usedBlockCount = usedRuns.reduce((sum, r) => sum + r.blockCount, 0);
  assert.equal(usedBlockCount, blockCount - allocator.freeBlockCount);
  const freeBlockCount = allocator.freeBlockCount;
  const all = [journal, ...inodes].sort((a, b) => a.ino - b.ino);
  return {
    geometry,
    groups,
    checksums: id.checksums,
    uuid: id.uuid,
    hashSeed: id.hashSeed,
    fsSeed: id.fsSeed,
    label: id.label,
    timestampSec: id.timestampSec,
    // No resize_inode (and s_reserved_gdt_blocks 0). Growing still works both ways:
    // - online, the kernel's ext4_resize_fs (fs/ext4/resize.c) converts a filesystem that has neither
    //   resize_inode nor meta_bg to meta_bg (ext4_convert_meta_bg, kernel ≥ 3.7, advertised as
    //   /sys/fs/ext4/features/meta_bg_resize) when new groups need more descriptor blocks, and needs no
    //   conversion at all while the last GDT block has room (64 groups = 8 GiB per block with 64bit);
    // - offline, resize2fs relocates the flex_bg bitmaps/tables in the way of new GDT blocks — the test
    //   "grows offline" takes a 3 GiB image to 12 GiB (GDT 2 → 6 blocks) and e2fsck -fn stays clean.
    // A resize inode would be an indirect-block map of reserved GDT blocks in every backup group that
    // e2fsck checks block by block; nothing it buys is worth that surface for a build-once image.
    featureCompat: COMPAT_HAS_JOURNAL | COMPAT_EXT_ATTR | COMPAT_DIR_INDEX,
    featureIncompat: INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_FLEX_BG | (id.checksums ? INCOMPAT_64BIT : 0),
    featureRoCompat:
      RO_COMPAT_SPARSE_SUPER |
      RO_COMPAT_LARGE_FILE |
      RO_COMPAT_HUGE_FILE |
      RO_COMPAT_DIR_NLINK |
      RO_COMPAT_EXTRA_ISIZE |
      (id.checksums ? RO_COMPAT_METADATA_CSUM : 0),
    featureNames: [
      'has_journal',
      'ext_attr',
      'dir_index',
      'filetype',
      'extent',
      ...(id.checksums ? ['64bit'] : []),
      'flex_bg',
      'sparse_super',
      'large_file',
      'huge_file',
      'dir_nlink',
      'extra_isize',
      ...(id.checksums ? ['metadata_csum'] : []),
    ],
    inodes: all,
    dataFiles,
    xattrBlocks,
    usedRuns,
    usedBlockCount,
    freeBlockCount,
    reservedBlockCount: Math.min(Math.floor(blockCount / 20), freeBlockCount),
    // Inodes 1–10 are reserved and counted as used, 11 is lost+found, the tree's follow densely.
    inodesUsed: prepared.lastIno,
    lastIno: prepared.lastIno,
    storedDataBytes: prepared.storedDataBytes,
    sizeBytes: blockCount * BLOCK_SIZE_BYTES,
  };
}

export function mergeRuns(runs: readonly BlockRun[]): BlockRun[] {
  const sorted = [...runs].sort((a, b) => a.startBlock - b.startBlock);
  const out: BlockRun[] = [];
  for (const run of sorted) {
    if (run.blockCount === 0) continue;
    const last = out[out.length - 1];
    if (last && last.startBlock + last.blockCount >= run.startBlock) {
      assert.ok(last.startBlock + last.blockCount === run.startBlock, `blocks ${run.startBlock}… allocated twice`);
      last.blockCount += run.blockCount;
    } else out.push({ ...run });
  }
  return out;
}

/** i_blocks in 512-byte sectors: data, extent tree and xattr blocks (i_blocks counts them all). */
export function sectorCount(p: InodePlan): number {
  return (p.dataBlockCount + p.treeBlocks.length + (p.xattrBlockIndex >= 0 ? 1 : 0)) * (BLOCK_SIZE_BYTES / 512);
}

export { buildExtentTree };
