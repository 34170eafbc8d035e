// Encodes one directory's data blocks: a single linear block, or an htree (dir_index) with a dx_root,
// optional dx_node level and hash-ordered leaves (kernel Documentation/filesystems/ext4/directory.rst).
import { crc32c } from '../../kernels/index.js';
import { AmikitError } from '../../shared/errors.js';
import { displayPath } from '../../tree/paths.js';
import { DIR_HASH_VERSION_CODE, dirHash, type DirHashVersion } from './dir-hash.js';

export interface DirEntryInput {
  /** A byte string (tree/paths.ts), as the tree's directories key their children. */
  name: string;
  inode: number;
  /** ext4_dir_entry_2.file_type: 1 reg, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink. */
  fileType: number;
}

export interface DirBlocksOptions {
  blockSizeBytes: number; // 1024 | 2048 | 4096
  dirInode: number;
  parentInode: number;
  hashVersion: DirHashVersion;
  hashSeed: readonly number[];
  signedChars: boolean;
  /** Present ⇔ metadata_csum. fsSeed = crc32c(~0, s_uuid) (or s_checksum_seed). */
  checksum?: { fsSeed: number; inodeGeneration: number };
  /** Pre-sized directories (mke2fs makes lost+found 16 KiB): a linear directory is padded with empty blocks. */
  minBlocks?: number;
  /**
   * Free space left in each htree leaf, in percent of the usable block (e2fsck -D uses 20 so later
   * inserts rarely split). Default 0: leaves packed as full as possible, the right choice for images.
   */
  leafSlackPercent?: number;
}

export interface DirBlocks {
  blocks: Buffer[];
  /** true ⇒ the writer must set EXT4_INDEX_FL (0x1000) on the directory inode. */
  indexed: boolean;
}

/** ext4_dir_entry_tail / dx_tail sizes with metadata_csum. */
const DIRENT_TAIL_BYTES = 12;
const DX_TAIL_BYTES = 8;
/** dx_entry {hash u32, block u32}; the count/limit pair occupies the first slot of each index block. */
const DX_ENTRY_BYTES = 8;
/** dx_root: "." (12) + ".." header (12) + dx_root_info (8) precede count/limit. */
const DX_ROOT_COUNT_OFFSET = 32;
/** dx_node: a fake dirent header (8 bytes) precedes count/limit. */
const DX_NODE_COUNT_OFFSET = 8;
/** Without the largedir feature the kernel accepts at most one level of dx_node blocks. */
const MAX_INDIRECT_LEVELS = 1;
/** file_type of the checksum tail pseudo-dirent (EXT4_FT_DIR_CSUM). */
const FT_DIR_CSUM = 0xde;
const FT_DIR = 2;
const MAX_NAME_BYTES = 255;

/** rec_len of an entry with this name length: 8-byte header + name, rounded up to 4. */
function recLenFor(nameLength: number): number {
  return (8 + nameLength + 3) & ~3;
}

interface HashedEntry {
  entry: DirEntryInput;
  hash: number;
  minorHash: number;
  recLen: number;
}

/** Where each leaf starts in the sorted entry list, and the dx hash that routes lookups to it. */
interface HtreePlan {
  sorted: HashedEntry[];
  /** leafStarts[i] = index in `sorted` of leaf i's first entry; leaf i ends where leaf i+1 starts. */
  leafStarts: number[];
  /** dx_entry hash per leaf: first entry's hash, low bit set when it continues the previous leaf's hash. */
  leafHashes: number[];
  /** Number of dx_node blocks (0 ⇒ indirect_levels 0). */
  nodeCount: number;
  rootLimit: number;
  nodeLimit: number;
}

type Plan = { kind: 'linear'; blockCount: number } | { kind: 'htree'; htree: HtreePlan; blockCount: number };

/**
 * Builds the directory's blocks, in logical order, for `entries` (which exclude "." and "..").
 * One block ⇒ linear in the given order; more ⇒ htree, root at block 0, leaves next, dx_nodes last
 * (the order e2fsck -D produces).
 * @throws AmikitError INPUT_FORMAT for an empty, "."/"..", slash- or NUL-containing or duplicate name;
 *   FS_LIMIT for a name over 255 bytes or a directory too large for a two-level htree.
 */
export function buildDirBlocks(entries: readonly DirEntryInput[], options: DirBlocksOptions): DirBlocks {
  return buildPlannedDirBlocks(planDirBlocks(entries, options));
}

/** The block count buildDirBlocks would produce, without encoding (for allocation planning). */
export function dirBlockCount(entries: readonly DirEntryInput[], options: DirBlocksOptions): number {
  return planDirectory(entries, options).blockCount;
}

/** A directory checked and laid out but not encoded: its block count now, its blocks later. */
export interface PlannedDirBlocks {
  readonly blockCount: number;
  readonly entries: readonly DirEntryInput[];
  readonly options: DirBlocksOptions;
  readonly plan: Plan;
}

/**
 * Validates and lays out a directory once, for a caller that needs the block count first (to allocate)
 * and the blocks later: buildPlannedDirBlocks(planDirBlocks(e, o)) is buildDirBlocks(e, o) without a
 * second validation, uniqueness check and hashing pass.
 */
export function planDirBlocks(entries: readonly DirEntryInput[], options: DirBlocksOptions): PlannedDirBlocks {
  const plan = planDirectory(entries, options);
  return { blockCount: plan.blockCount, entries, options, plan };
}

/**
 * Encodes a planned directory. `newBlock` supplies each zero-filled block (a fresh Buffer by default;
 * the writer passes a BlockSlab's, reused once the blocks are written).
 */
export function buildPlannedDirBlocks(
  planned: PlannedDirBlocks,
  newBlock: () => Buffer = () => Buffer.alloc(planned.options.blockSizeBytes),
): DirBlocks {
  const { plan, entries, options } = planned;
  if (plan.kind === 'linear') return { blocks: buildLinear(entries, options, plan.blockCount, newBlock), indexed: false };
  return { blocks: buildHtree(plan.htree, options, newBlock), indexed: true };
}

function planDirectory(entries: readonly DirEntryInput[], options: DirBlocksOptions): Plan {
  const blockSize = options.blockSizeBytes;
  if (blockSize !== 1024 && blockSize !== 2048 && blockSize !== 4096) {
    throw new AmikitError('INTERNAL', `unsupported directory block size ${blockSize}`);
  }
  const tailBytes = options.checksum ? DIRENT_TAIL_BYTES : 0;
  let linearBytes = 24; // "." and ".." at 12 bytes each
  for (const entry of entries) {
    validateName(entry.name, options.dirInode);
    linearBytes += recLenFor(entry.name.length);
  }
  if (linearBytes <= blockSize - tailBytes) {
    assertUniqueNames(entries, options.dirInode);
    return { kind: 'linear', blockCount: Math.max(1, options.minBlocks ?? 1) };
  }
  const htree = planHtree(entries, options);
  return { kind: 'htree', htree, blockCount: 1 + htree.leafStarts.length + htree.nodeCount };
}

function validateName(name: string, dirInode: number): void {
  if (name.length > MAX_NAME_BYTES) {
    throw new AmikitError('FS_LIMIT', `directory entry name is ${name.length} bytes; ext4 allows ${MAX_NAME_BYTES}`, {
      data: { dirInode, name: displayPath(name) },
    });
  }
  if (name.length === 0 || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new AmikitError('INPUT_FORMAT', `invalid directory entry name '${displayPath(name)}'`, {
      data: { dirInode },
    });
  }
}

function duplicateName(name: string, dirInode: number): AmikitError {
  return new AmikitError('INPUT_FORMAT', `duplicate directory entry name '${displayPath(name)}'`, {
    data: { dirInode },
  });
}

function assertUniqueNames(entries: readonly DirEntryInput[], dirInode: number): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name)) throw duplicateName(name, dirInode);
    seen.add(name);
  }
}

/**
 * Byte-wise name order, shorter first on a common prefix (e2fsck's tie-break for equal hashes): string
 * order, since a byte string's code units are its bytes.
 */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function planHtree(entries: readonly DirEntryInput[], options: DirBlocksOptions): HtreePlan {
  const blockSize = options.blockSizeBytes;
  const sorted: HashedEntry[] = entries.map((entry) => {
    const { hash, minorHash } = dirHash(entry.name, options.hashVersion, options.hashSeed, options.signedChars);
    return { entry, hash, minorHash, recLen: recLenFor(entry.name.length) };
  });
  // Lookups only need leaves ordered by major hash; the minor hash and name make the order (and so
  // the image) independent of the input order, and match what e2fsck -D writes.
  sorted.sort((a, b) => a.hash - b.hash || a.minorHash - b.minorHash || compareNames(a.entry.name, b.entry.name));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.hash === b.hash && a.minorHash === b.minorHash && compareNames(a.entry.name, b.entry.name) === 0) {
      throw duplicateName(b.entry.name, options.dirInode);
    }
  }

  // Greedy leaf filling, as e2fsck's copy_dir_entries: a leaf is closed when the next entry does not
  // fit or when less than `slack` bytes remain.
  const usable = blockSize - (options.checksum ? DIRENT_TAIL_BYTES : 0);
  const slack = Math.max(recLenFor(1), Math.floor((usable * (options.leafSlackPercent ?? 0)) / 100));
  const leafStarts: number[] = [];
  const leafHashes: number[] = [];
  let left = 0;
  for (let i = 0; i < sorted.length; i++) {
    const current = sorted[i]!;
    if (current.recLen > left) {
      leafStarts.push(i);
      // A leaf that begins inside a run of equal hashes must be flagged so lookups for that hash
      // continue into it from the previous leaf (directory.rst: the low bit of a dx hash).
      const continues = i > 0 && sorted[i - 1]!.hash === current.hash;
      leafHashes.push(continues ? (current.hash | 1) >>> 0 : current.hash);
      left = usable;
    }
    left -= current.recLen;
    if (left < slack) left = 0;
  }

  const csumBytes = options.checksum ? DX_TAIL_BYTES : 0;
  const rootLimit = Math.floor((blockSize - DX_ROOT_COUNT_OFFSET - csumBytes) / DX_ENTRY_BYTES);
  const nodeLimit = Math.floor((blockSize - DX_NODE_COUNT_OFFSET - csumBytes) / DX_ENTRY_BYTES);
  const leafCount = leafStarts.length;
  let nodeCount = 0;
  if (leafCount > rootLimit) {
    nodeCount = Math.ceil(leafCount / nodeLimit);
    if (nodeCount > rootLimit) {
      throw new AmikitError(
        'FS_LIMIT',
        `directory inode ${options.dirInode} has ${entries.length} entries: more than a ${MAX_INDIRECT_LEVELS + 1}-level htree holds without largedir`,
        { data: { dirInode: options.dirInode, entryCount: entries.length } },
      );
    }
  }
  return { sorted, leafStarts, leafHashes, nodeCount, rootLimit, nodeLimit };
}

/** Writes ext4_dir_entry_2 at `offset`; returns the offset after it. */
function writeDirent(
  block: Buffer,
  offset: number,
  inode: number,
  recLen: number,
  name: string,
  fileType: number,
): number {
  block.writeUInt32LE(inode, offset); // 0x0 inode
  block.writeUInt16LE(recLen, offset + 4); // 0x4 rec_len
  block.writeUInt8(name.length, offset + 6); // 0x6 name_len
  block.writeUInt8(fileType, offset + 7); // 0x7 file_type
  block.write(name, offset + 8, 'latin1'); // 0x8 name
  return offset + recLen;
}

/** Scratch for inodeSeed, which runs once per directory. */
const SEED_WORDS = Buffer.alloc(8);

/** Checksum seed of this directory's blocks: crc32c(fsSeed, le32 inode, le32 generation). */
function inodeSeed(options: DirBlocksOptions, checksum: { fsSeed: number; inodeGeneration: number }): number {
  SEED_WORDS.writeUInt32LE(options.dirInode >>> 0, 0);
  SEED_WORDS.writeUInt32LE(checksum.inodeGeneration >>> 0, 4);
  return crc32c(checksum.fsSeed >>> 0, SEED_WORDS);
}

/** Appends the 12-byte ext4_dir_entry_tail and fills in its checksum over the bytes before it. */
function sealLeaf(block: Buffer, seed: number): void {
  const tail = block.length - DIRENT_TAIL_BYTES;
  block.writeUInt32LE(0, tail); // 0x0 det_reserved_zero1 (looks like an unused dirent)
  block.writeUInt16LE(DIRENT_TAIL_BYTES, tail + 4); // 0x4 det_rec_len
  block.writeUInt8(0, tail + 6); // 0x6 det_reserved_zero2 (name_len)
  block.writeUInt8(FT_DIR_CSUM, tail + 7); // 0x7 det_reserved_ft
  block.writeUInt32LE(crc32c(seed, block.subarray(0, tail)), tail + 8); // 0x8 det_checksum
}

/**
 * Fills in the dx_tail after `limit` slots: the checksum covers the block up to the last used
 * dx_entry, then dt_reserved, then a zero word standing in for dt_checksum (kernel ext4_dx_csum).
 */
function sealIndex(block: Buffer, countOffset: number, limit: number, count: number, seed: number): void {
  const tail = countOffset + limit * DX_ENTRY_BYTES;
  block.writeUInt32LE(0, tail); // 0x0 dt_reserved
  let crc = crc32c(seed, block.subarray(0, countOffset + count * DX_ENTRY_BYTES));
  crc = crc32c(crc, block.subarray(tail, tail + 4));
  crc = crc32c(crc, new Uint8Array(4));
  block.writeUInt32LE(crc, tail + 4); // 0x4 dt_checksum
}

function buildLinear(entries: readonly DirEntryInput[], options: DirBlocksOptions, blockCount: number, newBlock: () => Buffer): Buffer[] {
  const blockSize = options.blockSizeBytes;
  const end = blockSize - (options.checksum ? DIRENT_TAIL_BYTES : 0);
  const seed = options.checksum ? inodeSeed(options, options.checksum) : 0;
  const first = newBlock();
  let offset = writeDirent(first, 0, options.dirInode, 12, '.', FT_DIR);
  let lastOffset = offset;
  offset = writeDirent(first, offset, options.parentInode, 12, '..', FT_DIR);
  for (const entry of entries) {
    lastOffset = offset;
    offset = writeDirent(first, offset, entry.inode, recLenFor(entry.name.length), entry.name, entry.fileType);
  }
  // The last record owns the rest of the block (up to the checksum tail).
  first.writeUInt16LE(end - lastOffset, lastOffset + 4);
  const blocks = [first];
  for (let i = 1; i < blockCount; i++) {
    // Padding blocks hold one unused record spanning the block, as ext2fs_new_dir_block makes them.
    const empty = newBlock();
    empty.writeUInt16LE(end, 4);
    blocks.push(empty);
  }
  if (options.checksum) for (const block of blocks) sealLeaf(block, seed);
  return blocks;
}

function buildHtree(plan: HtreePlan, options: DirBlocksOptions, newBlock: () => Buffer): Buffer[] {
  const blockSize = options.blockSizeBytes;
  const { sorted, leafStarts, leafHashes, nodeCount, rootLimit, nodeLimit } = plan;
  const usable = blockSize - (options.checksum ? DIRENT_TAIL_BYTES : 0);
  const seed = options.checksum ? inodeSeed(options, options.checksum) : 0;
  const leafCount = leafStarts.length;
  const blocks: Buffer[] = [];

  // dx_root (block 0): "." and a ".." whose rec_len hides the index from linear readers.
  const root = newBlock();
  writeDirent(root, 0, options.dirInode, 12, '.', FT_DIR);
  writeDirent(root, 12, options.parentInode, blockSize - 12, '..', FT_DIR);
  root.writeUInt32LE(0, 24); // 0x18 dx_root_info.reserved_zero
  root.writeUInt8(DIR_HASH_VERSION_CODE[options.hashVersion], 28); // 0x1C hash_version
  root.writeUInt8(8, 29); // 0x1D info_length
  root.writeUInt8(nodeCount > 0 ? 1 : 0, 30); // 0x1E indirect_levels
  root.writeUInt8(0, 31); // 0x1F unused_flags
  blocks.push(root);

  // Leaves: logical blocks 1..leafCount.
  for (let leaf = 0; leaf < leafCount; leaf++) {
    const block = newBlock();
    const start = leafStarts[leaf]!;
    const stop = leaf + 1 < leafCount ? leafStarts[leaf + 1]! : sorted.length;
    let offset = 0;
    let lastOffset = 0;
    for (let i = start; i < stop; i++) {
      const { entry, recLen } = sorted[i]!;
      lastOffset = offset;
      offset = writeDirent(block, offset, entry.inode, recLen, entry.name, entry.fileType);
    }
    block.writeUInt16LE(usable - lastOffset, lastOffset + 4);
    if (options.checksum) sealLeaf(block, seed);
    blocks.push(block);
  }

  /** Writes count/limit, then one dx_entry {hash, block} per target, then (with csum) the dx_tail. */
  const writeIndex = (
    block: Buffer,
    countOffset: number,
    limit: number,
    targets: { hash: number; block: number }[],
  ): void => {
    block.writeUInt16LE(limit, countOffset); // dx_countlimit.limit
    block.writeUInt16LE(targets.length, countOffset + 2); // dx_countlimit.count
    targets.forEach((target, i) => {
      const at = countOffset + i * DX_ENTRY_BYTES;
      // Slot 0's hash field is the count/limit pair: it implicitly covers hashes from 0.
      if (i > 0) block.writeUInt32LE(target.hash, at); // dx_entry.hash
      block.writeUInt32LE(target.block, at + 4); // dx_entry.block
    });
    if (options.checksum) sealIndex(block, countOffset, limit, targets.length, seed);
  };

  const leafTargets = leafHashes.map((hash, leaf) => ({ hash, block: 1 + leaf }));
  if (nodeCount === 0) {
    writeIndex(root, DX_ROOT_COUNT_OFFSET, rootLimit, leafTargets);
    return blocks;
  }
  // One level of dx_nodes after the leaves, each filled to its limit (as e2fsck -D does).
  const nodeTargets: { hash: number; block: number }[] = [];
  for (let node = 0; node < nodeCount; node++) {
    const block = newBlock();
    block.writeUInt32LE(0, 0); // fake dirent: inode 0
    block.writeUInt16LE(blockSize, 4); // rec_len covers the block so linear readers skip it
    const children = leafTargets.slice(node * nodeLimit, (node + 1) * nodeLimit);
    writeIndex(block, DX_NODE_COUNT_OFFSET, nodeLimit, children);
    nodeTargets.push({ hash: children[0]!.hash, block: 1 + leafCount + node });
    blocks.push(block);
  }
  writeIndex(root, DX_ROOT_COUNT_OFFSET, rootLimit, nodeTargets);
  return blocks;
}
