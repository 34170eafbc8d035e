// Writes a planned ext4 filesystem in one forward pass over the data: file bytes first, streamed from
// their sources into coalesced pwrites, then directories, extent trees, inode tables, bitmaps, group
// descriptors and superblock copies, the primary superblock last (blockgroup.rst, flex_bg layout).
import assert from 'node:assert/strict';
import { AmikitError } from '../shared/errors.js';
import type { FileTree } from '../tree/file-tree.js';
import type { ByteSource } from '../tree/byte-source.js';
import type { FileNode } from '../tree/node.js';
import { buildInode, buildReservedInode } from './build-inode.js';
import { BlockSlab } from './block-slab.js';
import { CoalescingWriter } from './coalescing-writer.js';
import type { Ext4Options, Ext4Result, Ext4Target } from './ext4-options.js';
import { buildExtentTree } from './extent-tree.js';
import { bitmapChecksum, countBits, setBitRange } from './format/bitmap.js';
import {
  BLOCK_SIZE_BYTES,
  BLOCKS_PER_GROUP,
  EXT3_JNL_BACKUP_BLOCKS,
  EXT4_BG_BLOCK_UNINIT,
  EXT4_BG_INODE_UNINIT,
  EXT4_CRC32C_CHKSUM,
  EXT4_DEFM_ACL,
  EXT4_DEFM_XATTR_USER,
  EXT4_DYNAMIC_REV,
  EXT4_ERRORS_CONTINUE,
  EXT4_FIRST_INO,
  EXT4_FLAGS_UNSIGNED_HASH,
  EXT4_HASH_HALF_MD4,
  EXT4_JOURNAL_INO,
  EXT4_OS_LINUX,
  EXT4_STATE_CLEAN,
  EXT4_SUPER_MAGIC,
  EXTRA_ISIZE_BYTES,
  GROUPS_PER_FLEX,
  INODE_SIZE_BYTES,
  LOG_BLOCK_SIZE,
  LOG_GROUPS_PER_FLEX,
  SUPERBLOCK_OFFSET_BYTES,
} from './format/constants.js';
import { buildPlannedDirBlocks } from './format/dir-blocks.js';
import { encodeGroupDescriptor } from './format/group-descriptor.js';
import { inodeChecksumSeed } from './format/inode.js';
import { encodeJournalSuperblock } from './format/journal-superblock.js';
import { encodeSuperblock, hi32, lo32 } from './format/superblock.js';
import { sealXattrBlock } from './format/xattr.js';
import { planExt4, type Ext4Plan, type InodePlan } from './plan-ext4.js';
import { WrittenMap } from './written-map.js';

export { planExt4 };

/**
 * Builds the filesystem for `tree` into target.handle at target.offsetBytes. The region must read as
 * zeros before the call (a freshly truncated, sparse file): zero blocks whose zeros matter (unused
 * inode-table slots of the compat profile) are declared in the written map instead of being written.
 * @throws AmikitError NO_SPACE before writing anything when the tree does not fit options.sizeBytes.
 */
export async function writeExt4(tree: FileTree, target: Ext4Target, options: Ext4Options): Promise<Ext4Result> {
  return writePlannedExt4(planExt4(tree, options), target, options);
}

/**
 * Writes a plan from planExt4 — for callers that planned first (to report or check the size) and
 * should not pay for planning twice. The tree the plan was made from must not change in between.
 */
export async function writePlannedExt4(plan: Ext4Plan, target: Ext4Target, options: Pick<Ext4Options, 'onProgress'> = {}): Promise<Ext4Result> {
  const map = new WrittenMap();
  const dataWriter = new CoalescingWriter(target.handle, target.offsetBytes, (startBlock, bytes) => map.addData(startBlock, bytes), undefined, target.directHandle);
  let metaMode: 'meta' | 'silent' = 'meta';
  const metaWriter = new CoalescingWriter(
    target.handle,
    target.offsetBytes,
    (startBlock, bytes) => {
      if (metaMode === 'meta') map.add(startBlock, bytes.length / BLOCK_SIZE_BYTES, true);
    },
    METADATA_BUFFER_BYTES,
    target.directHandle,
  );
  const progress = options.onProgress;
  const metadataBytes = plan.usedBlockCount * BLOCK_SIZE_BYTES - plan.storedDataBytes;
  try {
    // File data is bound by the writes (the main thread waited on them for most of the data phase),
    // metadata by the CPU: directories, extent trees and inode tables are encoded and written while
    // the data streams, yielding between chunks so the data's I/O completions are served promptly.
    // They occupy blocks of their own, so the order of the two streams does not change any byte.
    const data = (async (): Promise<void> => {
      await writeFileData(plan, dataWriter, (doneBytes) => progress?.({ phase: 'data', doneBytes, totalBytes: plan.storedDataBytes }));
      await dataWriter.close();
    })();
    const metadata = (async (): Promise<void> => {
      const extentRoots = await writeMetadataBlocks(plan, metaWriter);
      metaMode = 'silent';
      await writeInodeTables(plan, metaWriter, map, extentRoots);
      metaMode = 'meta';
    })();
    const [dataOutcome, metadataOutcome] = await Promise.allSettled([data, metadata]);
    if (dataOutcome.status === 'rejected') throw dataOutcome.reason;
    if (metadataOutcome.status === 'rejected') throw metadataOutcome.reason;
    progress?.({ phase: 'metadata', doneBytes: 0, totalBytes: metadataBytes });
    // Bitmaps, descriptors and superblocks once everything they describe is written: the primary
    // superblock stays the last write.
    await writeGroupMetadata(plan, metaWriter);
    await metaWriter.close();
    progress?.({ phase: 'metadata', doneBytes: metadataBytes, totalBytes: metadataBytes });
  } catch (error) {
    await dataWriter.close().catch(() => undefined);
    await metaWriter.close().catch(() => undefined);
    throw error;
  }
  const uuidHex = plan.uuid.toString('hex');
  return {
    sizeBytes: plan.sizeBytes,
    blockSizeBytes: BLOCK_SIZE_BYTES,
    blockCount: plan.geometry.blockCount,
    inodeCount: plan.geometry.inodeCount,
    inodesUsed: plan.inodesUsed,
    blocksUsed: plan.usedBlockCount,
    uuid: `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-${uuidHex.slice(12, 16)}-${uuidHex.slice(16, 20)}-${uuidHex.slice(20)}`,
    features: plan.featureNames,
    writtenMap: map.finish(),
  };
}

/**
 * Metadata goes through its own, smaller writer: it is written while file data streams through the
 * main writer, and its pwrites (mostly single directories and inode tables) need no large window.
 */
const METADATA_BUFFER_BYTES = 1024 * 1024;

/** Metadata encoding yields to the event loop after about this many inodes or directories. */
const METADATA_CHUNK = 256;

/** Lets pending I/O callbacks (the data stream's reads and writes) run before more CPU work. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Reads of neighbouring small files are merged into one read of at most this many bytes. 2 MiB reads
 * cost no more than 8 MiB ones (paired builds of the Debian rootfs), and every MiB a build touches for
 * the first time costs ~4 ms of CPU on a VM that returns free memory to its host.
 */
const READ_SPAN_BYTES = 2 * 1024 * 1024;
/** …when the bytes between them (tar headers, skipped members) are at most this many. */
const READ_GAP_BYTES = 64 * 1024;

type Fill = (target: Buffer, targetOffset: number, lengthBytes: number, storedPos: number) => Promise<void> | void;

/**
 * Streams every file's stored bytes to its extents, in the planned reading order. Runs of small files
 * that sit close together in one source (a tar's members) are fetched with one read into a span buffer,
 * the next span prefetched while the current one is copied out; big files are read straight into the
 * write buffers. Memory: two span buffers plus the writer's two buffers, whatever the data size.
 */
async function writeFileData(plan: Ext4Plan, writer: CoalescingWriter, report: (doneBytes: number) => void): Promise<void> {
  let doneBytes = 0;
  let lastReport = 0;
  const progress = (n: number): void => {
    doneBytes += n;
    if (doneBytes - lastReport >= 64 * 1024 * 1024) {
      lastReport = doneBytes;
      report(doneBytes);
    }
  };
  const groups = groupReads(plan.dataFiles);
  const spans = [Buffer.allocUnsafe(READ_SPAN_BYTES), Buffer.allocUnsafe(READ_SPAN_BYTES)];
  let spanIndex = 0;
  const startRead = (group: InodePlan[], buffer: Buffer): Promise<void> => {
    const first = sourceContent(group[0]!);
    const last = sourceContent(group[group.length - 1]!);
    return first.source.readInto(buffer, 0, last.offsetBytes + last.storedBytes - first.offsetBytes, first.offsetBytes);
  };
  let prefetch: Promise<void> | undefined;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (group.length === 1 && !isSpanGroup(group)) {
      const p = group[0]!;
      const content = (p.node as FileNode).content;
      await emitFile(writer, p, (target, targetOffset, length, storedPos) =>
        content.kind === 'bytes'
          ? void content.bytes.copy(target, targetOffset, storedPos, storedPos + length)
          : content.source.readInto(target, targetOffset, length, content.offsetBytes + storedPos),
      progress);
      continue;
    }
    const buffer = spans[spanIndex]!;
    await (prefetch ?? startRead(group, buffer));
    prefetch = undefined;
    spanIndex ^= 1;
    const next = groups[g + 1];
    if (next && isSpanGroup(next)) prefetch = startRead(next, spans[spanIndex]!);
    const base = sourceContent(group[0]!).offsetBytes;
    for (const p of group) {
      const at = sourceContent(p).offsetBytes - base;
      await emitFile(writer, p, (target, targetOffset, length, storedPos) => void buffer.copy(target, targetOffset, at + storedPos, at + storedPos + length), progress);
    }
  }
  report(doneBytes);
}

function sourceContent(p: InodePlan): { source: ByteSource; offsetBytes: number; storedBytes: number } {
  const content = (p.node as FileNode).content;
  assert.ok(content.kind === 'source');
  return content;
}

function isSpanGroup(group: InodePlan[]): boolean {
  const content = (group[0]!.node as FileNode).content;
  return content.kind === 'source' && content.storedBytes <= READ_SPAN_BYTES;
}

/** Consecutive source files close together in the same source, within one span; others alone. */
function groupReads(files: readonly InodePlan[]): InodePlan[][] {
  const groups: InodePlan[][] = [];
  let current: InodePlan[] = [];
  for (const p of files) {
    const content = (p.node as FileNode).content;
    const fitsSpan = content.kind === 'source' && content.storedBytes <= READ_SPAN_BYTES;
    const prev = current[current.length - 1];
    if (fitsSpan && prev) {
      const a = sourceContent(current[0]!);
      const b = sourceContent(prev);
      const c = content;
      if (
        c.source === a.source &&
        c.offsetBytes >= b.offsetBytes + b.storedBytes &&
        c.offsetBytes - (b.offsetBytes + b.storedBytes) <= READ_GAP_BYTES &&
        c.offsetBytes + c.storedBytes - a.offsetBytes <= READ_SPAN_BYTES
      ) {
        current.push(p);
        continue;
      }
    }
    if (current.length > 0) groups.push(current);
    current = [p];
    if (!fitsSpan) {
      groups.push(current);
      current = [];
    }
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Places one file's stored bytes, segment by segment, at the physical bytes of its extents. */
async function emitFile(writer: CoalescingWriter, p: InodePlan, fill: Fill, progress: (n: number) => void): Promise<void> {
  const file = p.node as FileNode;
  const segments = file.segments ?? [{ offsetBytes: 0, lengthBytes: file.sizeBytes }];
  let extentIndex = 0;
  let storedPos = 0;
  for (const segment of segments) {
    let logicalByte = segment.offsetBytes;
    let remaining = segment.lengthBytes;
    while (remaining > 0) {
      const logicalBlock = Math.floor(logicalByte / BLOCK_SIZE_BYTES);
      while (p.extents[extentIndex]!.logicalBlock + p.extents[extentIndex]!.blockCount <= logicalBlock) extentIndex++;
      const extent = p.extents[extentIndex]!;
      assert.ok(extent.logicalBlock <= logicalBlock, 'data outside the planned extents');
      const physicalByte = (extent.physicalBlock + logicalBlock - extent.logicalBlock) * BLOCK_SIZE_BYTES + (logicalByte % BLOCK_SIZE_BYTES);
      const inExtent = (extent.logicalBlock + extent.blockCount) * BLOCK_SIZE_BYTES - logicalByte;
      const slot = await writer.reserve(physicalByte, Math.min(remaining, inExtent));
      await fill(slot.buffer, slot.offset, slot.length, storedPos);
      writer.commit(slot.length);
      logicalByte += slot.length;
      storedPos += slot.length;
      remaining -= slot.length;
      progress(slot.length);
    }
  }
}

/** Writes `bytes` (whole blocks) over the physical blocks of `extents`, in logical order. */
async function writeMapped(writer: CoalescingWriter, p: InodePlan, blocks: readonly Buffer[]): Promise<void> {
  let index = 0;
  for (const extent of p.extents) {
    for (let i = 0; i < extent.blockCount; i++) {
      const block = blocks[extent.logicalBlock + i];
      assert.ok(block && index++ >= 0, `inode ${p.ino}: missing block ${extent.logicalBlock + i}`);
      await writer.write((extent.physicalBlock + i) * BLOCK_SIZE_BYTES, block);
    }
  }
  assert.equal(index, blocks.length, `inode ${p.ino}: ${blocks.length} blocks built, ${index} planned`);
}

/**
 * Directories, slow symlinks, xattr blocks, the journal superblock and extent-tree blocks, in block
 * order. Returns each inode's i_block extent root for the inode tables.
 */
async function writeMetadataBlocks(plan: Ext4Plan, writer: CoalescingWriter): Promise<Map<number, Buffer>> {
  const journal = plan.inodes.find((p) => p.ino === EXT4_JOURNAL_INO)!;
  const journalBlock = Buffer.alloc(BLOCK_SIZE_BYTES);
  encodeJournalSuperblock({ blockSizeBytes: BLOCK_SIZE_BYTES, blockCount: journal.dataBlockCount, uuid: plan.uuid }).copy(journalBlock);
  // Only block 0 of the journal is written. The rest stays a hole — zeros locally, arbitrary bytes on an
  // encrypted snapshot — which is safe: s_start = 0 marks the journal empty so nothing is replayed, and
  // when the kernel later logs transactions, recovery accepts only blocks carrying the jbd2 magic and
  // the exact expected sequence number (and, with csum v3, a matching checksum), written after mount.
  await writer.write(journal.extents[0]!.physicalBlock * BLOCK_SIZE_BYTES, journalBlock);

  let sinceYield = 0;
  // Directory blocks live only until writeMapped has copied them into the writer's buffer.
  const slab = new BlockSlab(BLOCK_SIZE_BYTES);
  const newBlock = (): Buffer => slab.block();
  for (const p of plan.inodes) {
    if (++sinceYield >= METADATA_CHUNK) {
      sinceYield = 0;
      await yieldToIo();
    }
    if (p.kind === 'dir') {
      // planExt4 lays out every directory's blocks (it needs their count); here they are only encoded.
      assert.ok(p.dirBlocks, `inode ${p.ino}: directory without planned blocks`);
      const built = buildPlannedDirBlocks(p.dirBlocks, newBlock);
      p.indexed = built.indexed;
      await writeMapped(writer, p, built.blocks);
      slab.reset();
    } else if (p.kind === 'symlink' && p.dataBlockCount > 0) {
      const block = Buffer.alloc(BLOCK_SIZE_BYTES);
      (p.node as { target: Buffer }).target.copy(block);
      await writeMapped(writer, p, [block]);
    }
  }
  for (const x of plan.xattrBlocks) {
    const bytes = Buffer.from(x.bytes);
    sealXattrBlock(bytes, { blockNumber: x.physicalBlock, ...(plan.checksums ? { fsSeed: plan.fsSeed } : {}), refcount: x.refcount });
    await writer.write(x.physicalBlock * BLOCK_SIZE_BYTES, bytes);
  }
  const roots = new Map<number, Buffer>();
  for (const p of plan.inodes) {
    if (++sinceYield >= METADATA_CHUNK) {
      sinceYield = 0;
      await yieldToIo();
    }
    if (p.extents.length === 0 && !(p.kind === 'file' || p.kind === 'dir')) continue;
    const seed = plan.checksums ? inodeChecksumSeed(plan.fsSeed, p.ino, 0) : undefined;
    const tree = buildExtentTree(p.extents, p.treeBlocks, seed);
    for (const node of tree.nodes) await writer.write(node.physicalBlock * BLOCK_SIZE_BYTES, node.bytes);
    roots.set(p.ino, tree.iBlock);
  }
  await writer.flush();
  return roots;
}

/**
 * Inode tables group by group (one group's table in memory at a time). Only blocks holding used inodes
 * are written (inodes are numbered densely, so they are each group's first blocks).
 */
async function writeInodeTables(
  plan: Ext4Plan,
  writer: CoalescingWriter,
  map: WrittenMap,
  roots: Map<number, Buffer>,
): Promise<void> {
  const { inodesPerGroup, inodeTableBlockCount } = plan.geometry;
  const byIno = new Map(plan.inodes.map((p) => [p.ino, p]));
  const inodesPerBlock = BLOCK_SIZE_BYTES / INODE_SIZE_BYTES;
  for (const group of plan.groups) {
    const firstIno = group.group * inodesPerGroup + 1;
    const usedInGroup = Math.min(inodesPerGroup, Math.max(0, plan.lastIno - firstIno + 1));
    const usedBlocks = Math.ceil(usedInGroup / inodesPerBlock);
    // With group checksums the kernel and e2fsck never read past bg_itable_unused, and the kernel's
    // lazyinit thread zeroes the rest after the first mount (ITABLE_ZEROED is left clear, as mke2fs's
    // lazy_itable_init does): only the blocks holding used inodes must arrive. Without checksums
    // (compat) every slot is read, so the whole table's zeros matter.
    map.add(group.inodeTableBlock, plan.checksums ? usedBlocks : inodeTableBlockCount, true);
    if (usedInGroup === 0) continue;
    // Inodes are encoded straight into the writer's buffer, a slot at a time: a table of their own
    // was megabytes of fresh memory per build, each MiB ~4 ms of page faults.
    const tableBytes = usedBlocks * BLOCK_SIZE_BYTES;
    let doneBytes = 0;
    let i = 0;
    while (doneBytes < tableBytes) {
      const slot = await writer.reserve(group.inodeTableBlock * BLOCK_SIZE_BYTES + doneBytes, tableBytes - doneBytes);
      assert.equal(slot.length % INODE_SIZE_BYTES, 0);
      slot.buffer.fill(0, slot.offset, slot.offset + slot.length);
      const end = Math.min(usedInGroup, i + slot.length / INODE_SIZE_BYTES);
      for (; i < end; i++) {
        if (i % METADATA_CHUNK === METADATA_CHUNK - 1) await yieldToIo();
        const ino = firstIno + i;
        const at = slot.offset + (i * INODE_SIZE_BYTES - doneBytes);
        const p = byIno.get(ino);
        if (p) buildInode(plan, p, roots.get(ino), slot.buffer, at);
        else if (ino < EXT4_FIRST_INO) buildReservedInode(plan, ino, slot.buffer, at);
        else assert.fail(`inode ${ino} is marked used but was not planned`);
      }
      writer.commit(slot.length);
      doneBytes += slot.length;
    }
  }
  await writer.flush();
}

/** Bitmaps, group descriptors, backup superblocks + GDTs, and the primary superblock last. */
async function writeGroupMetadata(plan: Ext4Plan, writer: CoalescingWriter): Promise<void> {
  const g = plan.geometry;
  const fsSeed = plan.checksums ? plan.fsSeed : undefined;
  const usedDirs = new Array<number>(g.groupCount).fill(0);
  for (const p of plan.inodes) if (p.kind === 'dir') usedDirs[Math.floor((p.ino - 1) / g.inodesPerGroup)]!++;

  const gdt = Buffer.alloc(g.gdtBlockCount * BLOCK_SIZE_BYTES);
  let runIndex = 0;
  let freeBlocksTotal = 0;
  // The bitmaps of one flex group sit side by side: they are gathered per flex group (32 blocks) and
  // written in block order, so memory stays bounded however many groups there are.
  let bitmaps: { block: number; bytes: Buffer }[] = [];
  const writeBitmaps = async (): Promise<void> => {
    bitmaps.sort((a, b) => a.block - b.block);
    for (const bitmap of bitmaps) await writer.write(bitmap.block * BLOCK_SIZE_BYTES, bitmap.bytes);
    bitmaps = [];
  };
  for (const group of plan.groups) {
    const groupStart = group.group * BLOCKS_PER_GROUP;
    const groupBlocks = Math.min(BLOCKS_PER_GROUP, g.blockCount - groupStart);
    const blockBitmap = Buffer.alloc(BLOCK_SIZE_BYTES);
    while (runIndex < plan.usedRuns.length) {
      const run = plan.usedRuns[runIndex]!;
      const start = Math.max(run.startBlock, groupStart);
      const end = Math.min(run.startBlock + run.blockCount, groupStart + groupBlocks);
      if (start >= groupStart + groupBlocks) break;
      if (end > start) setBitRange(blockBitmap, start - groupStart, end - groupStart);
      if (run.startBlock + run.blockCount <= groupStart + groupBlocks) runIndex++;
      else break;
    }
    const usedBlocks = countBits(blockBitmap, groupBlocks);
    setBitRange(blockBitmap, groupBlocks, BLOCKS_PER_GROUP); // padding past the end of the filesystem
    const freeBlocks = groupBlocks - usedBlocks;
    freeBlocksTotal += freeBlocks;

    const inodeBitmap = Buffer.alloc(BLOCK_SIZE_BYTES);
    const firstIno = group.group * g.inodesPerGroup + 1;
    const usedInodes = Math.min(g.inodesPerGroup, Math.max(0, plan.lastIno - firstIno + 1));
    setBitRange(inodeBitmap, 0, usedInodes);
    setBitRange(inodeBitmap, g.inodesPerGroup, BLOCK_SIZE_BYTES * 8); // padding past inodes_per_group

    // With group checksums, a group whose only used blocks are its own superblock/GDT backup is
    // BLOCK_UNINIT and a group without used inodes INODE_UNINIT: the kernel and e2fsck rebuild such
    // bitmaps from the geometry instead of reading them (the group's own bitmaps and table live in its
    // flex group's first group, and a group holding any of those has more used blocks), so their
    // blocks are neither written nor listed — on a 2 TiB image that is most of the metadata.
    const ownBackupBlocks = group.hasBackup ? 1 + g.gdtBlockCount : 0;
    const blockUninit = plan.checksums && group.group !== g.groupCount - 1 && usedBlocks === ownBackupBlocks;
    const inodeUninit = plan.checksums && usedInodes === 0;
    if (!blockUninit) bitmaps.push({ block: group.blockBitmapBlock, bytes: blockBitmap });
    if (!inodeUninit) bitmaps.push({ block: group.inodeBitmapBlock, bytes: inodeBitmap });
    if ((group.group + 1) % GROUPS_PER_FLEX === 0) await writeBitmaps();
    encodeGroupDescriptor(
      {
        blockBitmapBlock: group.blockBitmapBlock,
        inodeBitmapBlock: group.inodeBitmapBlock,
        inodeTableBlock: group.inodeTableBlock,
        freeBlockCount: freeBlocks,
        freeInodeCount: g.inodesPerGroup - usedInodes,
        usedDirCount: usedDirs[group.group]!,
        flags: (inodeUninit ? EXT4_BG_INODE_UNINIT : 0) | (blockUninit ? EXT4_BG_BLOCK_UNINIT : 0),
        blockBitmapCsum: fsSeed === undefined ? 0 : bitmapChecksum(blockBitmap, BLOCKS_PER_GROUP / 8, fsSeed),
        inodeBitmapCsum: fsSeed === undefined ? 0 : bitmapChecksum(inodeBitmap, g.inodesPerGroup / 8, fsSeed),
        itableUnusedCount: plan.checksums ? g.inodesPerGroup - usedInodes : 0,
      },
      gdt,
      group.group * g.descSizeBytes,
      { descSizeBytes: g.descSizeBytes, group: group.group, ...(fsSeed === undefined ? {} : { fsSeed }) },
    );
  }
  assert.equal(freeBlocksTotal, plan.freeBlockCount, 'bitmaps disagree with the plan');
  await writeBitmaps();
  await writer.flush();

  // Backups first (ascending), then the GDT and superblock of group 0: a crash mid-write leaves no
  // valid primary superblock rather than one describing half-written metadata.
  for (const group of plan.groups) {
    if (!group.hasBackup || group.group === 0) continue;
    const start = group.group * BLOCKS_PER_GROUP * BLOCK_SIZE_BYTES;
    const block = Buffer.alloc(BLOCK_SIZE_BYTES);
    superblockFor(plan, group.group).copy(block, 0);
    await writer.write(start, block);
    await writer.write(start + BLOCK_SIZE_BYTES, gdt);
  }
  await writer.flush();
  await writer.write(BLOCK_SIZE_BYTES, gdt);
  await writer.flush();
  const first = Buffer.alloc(BLOCK_SIZE_BYTES);
  superblockFor(plan, 0).copy(first, SUPERBLOCK_OFFSET_BYTES);
  await writer.write(0, first);
}

function superblockFor(plan: Ext4Plan, group: number): Buffer {
  const g = plan.geometry;
  const journal = plan.inodes.find((p) => p.ino === EXT4_JOURNAL_INO)!;
  const journalRoot = buildExtentTree(journal.extents, journal.treeBlocks).iBlock;
  // s_jnl_blocks: a copy of the journal inode's i_block, then i_size_high and i_size (super.rst).
  const jnlBlocks: number[] = [];
  for (let i = 0; i < 15; i++) jnlBlocks.push(journalRoot.readUInt32LE(4 * i));
  jnlBlocks.push(hi32(journal.sizeBytes), lo32(journal.sizeBytes));
  const time = Math.max(0, Math.floor(plan.timestampSec));
  const timeLo = lo32(time);
  const timeHi = Math.min(255, hi32(time));
  const freeInodes = g.inodeCount - plan.lastIno;
  if (plan.label.length > 16) throw new AmikitError('USAGE', 'label too long');
  return encodeSuperblock(
    {
      s_inodes_count: g.inodeCount,
      s_blocks_count_lo: lo32(g.blockCount),
      s_r_blocks_count_lo: lo32(plan.reservedBlockCount),
      s_free_blocks_count_lo: lo32(plan.freeBlockCount),
      s_free_inodes_count: freeInodes,
      s_first_data_block: 0,
      s_log_block_size: LOG_BLOCK_SIZE,
      s_log_cluster_size: LOG_BLOCK_SIZE,
      s_blocks_per_group: BLOCKS_PER_GROUP,
      s_clusters_per_group: BLOCKS_PER_GROUP,
      s_inodes_per_group: g.inodesPerGroup,
      s_mtime: 0, // never mounted, as mke2fs leaves it: a mount time in the future upsets e2fsck
      s_wtime: timeLo,
      s_mnt_count: 0,
      s_max_mnt_count: 0xffff, // -1: no mount-count-triggered checks
      s_magic: EXT4_SUPER_MAGIC,
      s_state: EXT4_STATE_CLEAN,
      s_errors: EXT4_ERRORS_CONTINUE,
      s_lastcheck: timeLo,
      s_checkinterval: 0,
      s_creator_os: EXT4_OS_LINUX,
      s_rev_level: EXT4_DYNAMIC_REV,
      s_first_ino: EXT4_FIRST_INO,
      s_inode_size: INODE_SIZE_BYTES,
      s_block_group_nr: group,
      s_feature_compat: plan.featureCompat,
      s_feature_incompat: plan.featureIncompat,
      s_feature_ro_compat: plan.featureRoCompat,
      s_uuid: plan.uuid,
      s_volume_name: plan.label,
      s_reserved_gdt_blocks: 0,
      s_journal_uuid: Buffer.alloc(16), // internal journal: must stay zero
      s_journal_inum: EXT4_JOURNAL_INO,
      s_hash_seed: plan.hashSeed,
      s_def_hash_version: EXT4_HASH_HALF_MD4,
      s_jnl_backup_type: EXT3_JNL_BACKUP_BLOCKS,
      s_desc_size: plan.checksums ? g.descSizeBytes : 0,
      s_default_mount_opts: EXT4_DEFM_XATTR_USER | EXT4_DEFM_ACL,
      s_mkfs_time: timeLo,
      s_jnl_blocks: jnlBlocks,
      s_blocks_count_hi: hi32(g.blockCount),
      s_r_blocks_count_hi: hi32(plan.reservedBlockCount),
      s_free_blocks_count_hi: hi32(plan.freeBlockCount),
      s_min_extra_isize: EXTRA_ISIZE_BYTES,
      s_want_extra_isize: EXTRA_ISIZE_BYTES,
      s_flags: EXT4_FLAGS_UNSIGNED_HASH,
      s_log_groups_per_flex: LOG_GROUPS_PER_FLEX,
      s_checksum_type: plan.checksums ? EXT4_CRC32C_CHKSUM : 0,
      s_kbytes_written: 0,
      s_wtime_hi: timeHi,
      s_mtime_hi: 0,
      s_mkfs_time_hi: timeHi,
      s_lastcheck_hi: timeHi,
    },
    plan.checksums,
  );
}
