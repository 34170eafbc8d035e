// Reads an ext4 filesystem (at an offset of a random-access source) into a FileTree without reading file
// contents: superblock and group descriptors, then the inodes reachable from the root directory, their
// directory blocks, xattrs (in inode and block) and extent maps. File contents stay in the image and are
// read on demand through per-file sources (docs: kernel.org ext4 "Data Structures and Algorithms").
import { AmikitError } from '../shared/errors.js';
import type { ByteSource } from '../tree/byte-source.js';
import { FileTree } from '../tree/file-tree.js';
import { makeMeta, type DataSegment, type DirNode, type Node, type NodeMeta } from '../tree/node.js';
import { bytesToName } from '../tree/paths.js';
import {
  EXT4_EXT_MAGIC,
  EXT4_EXTENTS_FL,
  EXT4_ROOT_INO,
  EXT4_SUPER_MAGIC,
  INCOMPAT_64BIT,
  INCOMPAT_CSUM_SEED,
  INCOMPAT_RECOVER,
  RO_COMPAT_METADATA_CSUM,
  SUPERBLOCK_OFFSET_BYTES,
  SUPERBLOCK_SIZE_BYTES,
} from './format/constants.js';
import { decodeExtentNode, type Extent } from './format/extent.js';
import { decodeGroupDescriptor, GROUP_DESCRIPTOR_CHECKSUM_OFFSET, groupDescriptorChecksum } from './format/group-descriptor.js';
import { decodeInode, decodeTimestamp, INODE_CHECKSUM_HI_OFFSET, INODE_CHECKSUM_LO_OFFSET, inodeChecksumSeed } from './format/inode.js';
import { crc32c } from '../kernels/index.js';
import { aclDiskToXattr } from './format/posix-acl.js';
import { decodeSuperblock, SUPERBLOCK_CHECKSUM_OFFSET, superblockChecksum } from './format/superblock.js';

/** Filesystem-wide facts from the superblock (what `inspect` reports). */
export interface Ext4Facts {
  uuid: string;
  label: string;
  blockSizeBytes: number;
  blockCount: number;
  freeBlocks: number;
  inodeCount: number;
  freeInodes: number;
  sizeBytes: number;
  features: string[];
  /** metadata_csum: the superblock checksum verified; "none" without the feature. */
  superblockChecksum: 'ok' | 'bad' | 'none';
  /** The journal holds transactions not yet replayed (INCOMPAT_RECOVER): the tree may miss recent writes. */
  needsRecovery: boolean;
  /** s_state bit 0: unmounted cleanly. */
  clean: boolean;
}

/** metadata_csum results of one tree read: how many structures were checked and which failed (first few named). */
export interface Ext4ChecksumReport {
  enabled: boolean;
  groupDescriptors: { checked: number; bad: number };
  inodes: { checked: number; bad: number };
  extentBlocks: { checked: number; bad: number };
  directoryBlocks: { checked: number; bad: number };
  xattrBlocks: { checked: number; bad: number };
  /** Up to 20 failures, each naming the structure ("inode 12", "directory inode 2 block 1234"). */
  failures: string[];
}

/** What `stat` shows of one inode, as stored. */
export interface Ext4InodeDetails {
  inode: number;
  type: 'file' | 'dir' | 'symlink' | 'char-device' | 'block-device' | 'fifo' | 'socket';
  /** Permission and set-id bits (mode & 07777). */
  mode: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  links: number;
  flags: number;
  generation: number;
  /** i_blocks in 512-byte units (or file-system blocks with huge_file's EXT4_HUGE_FILE_FL). */
  blocks512: number;
  /** Seconds and nanoseconds (the extra fields' epoch bits applied); crtime only with a large inode. */
  times: { atime: Ext4Time; mtime: Ext4Time; ctime: Ext4Time; crtime?: Ext4Time };
  xattrs: Map<string, Buffer>;
  /** Leaf extents in logical order; `uninit` ones read as zeros. Empty for fast symlinks and devices. */
  extents: Array<{ logicalBlock: number; physicalBlock: number; blockCount: number; uninit: boolean }>;
  /** Extent tree depth (0: all in the inode). */
  extentDepth: number;
  checksum: 'ok' | 'bad' | 'none';
}

export interface Ext4Time {
  sec: number;
  nsec: number;
}

const COMPAT_NAMES: Record<number, string> = { 0x1: 'dir_prealloc', 0x2: 'imagic_inodes', 0x4: 'has_journal', 0x8: 'ext_attr', 0x10: 'resize_inode', 0x20: 'dir_index', 0x200: 'sparse_super2', 0x400: 'fast_commit', 0x800: 'stable_inodes', 0x1000: 'orphan_file' };
const INCOMPAT_NAMES: Record<number, string> = { 0x1: 'compression', 0x2: 'filetype', 0x4: 'needs_recovery', 0x8: 'journal_dev', 0x10: 'meta_bg', 0x40: 'extent', 0x80: '64bit', 0x100: 'mmp', 0x200: 'flex_bg', 0x400: 'ea_inode', 0x1000: 'dirdata', 0x2000: 'metadata_csum_seed', 0x4000: 'large_dir', 0x8000: 'inline_data', 0x10000: 'encrypt', 0x20000: 'casefold' };
const RO_COMPAT_NAMES: Record<number, string> = { 0x1: 'sparse_super', 0x2: 'large_file', 0x8: 'huge_file', 0x10: 'uninit_bg', 0x20: 'dir_nlink', 0x40: 'extra_isize', 0x100: 'quota', 0x200: 'bigalloc', 0x400: 'metadata_csum', 0x1000: 'read-only', 0x2000: 'project', 0x8000: 'verity', 0x10000: 'orphan_present' };
const EXT4_INLINE_DATA_FL = 0x10000000;
const TYPE_NAMES: Record<number, Ext4InodeDetails['type']> = { 0o1: 'fifo', 0o2: 'char-device', 0o4: 'dir', 0o6: 'block-device', 0o10: 'file', 0o12: 'symlink', 0o14: 'socket' };
const XATTR_MAGIC = 0xea020000;
const XATTR_PREFIXES: Record<number, string> = { 1: 'user.', 4: 'trusted.', 6: 'security.', 7: 'system.', 8: 'system.richacl' };
/** Bytes of inode table read at once: inodes are read in runs, never one pread each. */
const INODE_CHUNK_BYTES = 64 * 1024;
const MAX_CACHED_CHUNKS = 256;

export interface ReadExt4Options {
  /** Where the filesystem starts in `source`. */
  offsetBytes?: number;
  /** Names the filesystem in messages (image path, partition). */
  name?: string;
}

export interface Ext4Volume {
  facts: Ext4Facts;
  /** Reads the directory tree (metadata only; contents come from the image when read). */
  readTree(): Promise<FileTree>;
  /** The inode number of a node of a tree this volume read (undefined for other nodes). */
  inodeOf(node: Node): number | undefined;
  /** One inode as stored (for `stat`): times with nanoseconds, i_blocks, xattrs, extents, checksum. */
  inodeDetails(ino: number): Promise<Ext4InodeDetails>;
  /** Checksum results of the structures read so far (all metadata once readTree has run). */
  checksums(): Ext4ChecksumReport;
}

/** Opens the filesystem: checks the superblock, reads the group descriptors. */
export async function readExt4(source: ByteSource, options: ReadExt4Options = {}): Promise<Ext4Volume> {
  const base = options.offsetBytes ?? 0;
  const name = options.name ?? source.name;
  const fail = (message: string): AmikitError => new AmikitError('INPUT_FORMAT', `${name}: ${message}`, { data: { path: name } });
  const read = async (offsetBytes: number, lengthBytes: number): Promise<Buffer> => {
    if (offsetBytes < 0 || base + offsetBytes + lengthBytes > source.sizeBytes) throw fail(`byte ${offsetBytes}+${lengthBytes} lies outside the image`);
    const buffer = Buffer.allocUnsafe(lengthBytes);
    if (source.readIntoSync) source.readIntoSync(buffer, 0, lengthBytes, base + offsetBytes);
    else await source.readInto(buffer, 0, lengthBytes, base + offsetBytes);
    return buffer;
  };
  if (source.sizeBytes < base + SUPERBLOCK_OFFSET_BYTES + SUPERBLOCK_SIZE_BYTES) throw fail('too small for an ext4 superblock');
  const superBytes = await read(SUPERBLOCK_OFFSET_BYTES, SUPERBLOCK_SIZE_BYTES);
  const sb = decodeSuperblock(superBytes);
  if (sb.s_magic !== EXT4_SUPER_MAGIC) throw fail('no ext2/3/4 superblock (bad magic)');
  const logBlockSize = sb.s_log_block_size as number;
  if (logBlockSize > 6) throw fail(`block size 2^${10 + logBlockSize} is not supported`);
  const blockSize = 1024 << logBlockSize;
  const incompat = sb.s_feature_incompat as number;
  const roCompat = sb.s_feature_ro_compat as number;
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const blockCount = (is64 ? (sb.s_blocks_count_hi as number) * 2 ** 32 : 0) + (sb.s_blocks_count_lo as number);
  const inodesPerGroup = sb.s_inodes_per_group as number;
  const blocksPerGroup = sb.s_blocks_per_group as number;
  const inodeSize = (sb.s_rev_level as number) === 0 ? 128 : (sb.s_inode_size as number);
  const inodeCount = sb.s_inodes_count as number;
  if (inodesPerGroup === 0 || blocksPerGroup === 0 || inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) throw fail('superblock geometry is inconsistent');
  const groupCount = Math.ceil((blockCount - (sb.s_first_data_block as number)) / blocksPerGroup);
  if (!(groupCount > 0) || groupCount * inodesPerGroup < inodeCount) throw fail('superblock geometry is inconsistent');
  // Everything below is bounded by the image: a corrupt count cannot make us allocate or walk beyond it.
  if (base + blockCount * blockSize > source.sizeBytes) throw fail(`the filesystem (${blockCount} blocks of ${blockSize} bytes) is larger than the image`);
  const descSize = is64 ? Math.max(32, sb.s_desc_size as number) : 32;
  if (descSize !== 32 && descSize !== 64) throw fail(`group descriptor size ${descSize} is not supported`);
  const checksums = (roCompat & RO_COMPAT_METADATA_CSUM) !== 0;
  const features = [
    ...flagNames(sb.s_feature_compat as number, COMPAT_NAMES),
    ...flagNames(incompat, INCOMPAT_NAMES),
    ...flagNames(roCompat, RO_COMPAT_NAMES),
  ];
  const uuidHex = Buffer.from(sb.s_uuid as Uint8Array).toString('hex');
  const facts: Ext4Facts = {
    uuid: `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-${uuidHex.slice(12, 16)}-${uuidHex.slice(16, 20)}-${uuidHex.slice(20)}`,
    label: Buffer.from(sb.s_volume_name as Uint8Array).toString('utf8').replace(/\0.*$/s, ''),
    blockSizeBytes: blockSize,
    blockCount,
    freeBlocks: (is64 ? (sb.s_free_blocks_count_hi as number) * 2 ** 32 : 0) + (sb.s_free_blocks_count_lo as number),
    inodeCount,
    freeInodes: sb.s_free_inodes_count as number,
    sizeBytes: blockCount * blockSize,
    features,
    superblockChecksum: !checksums ? 'none' : superblockChecksum(superBytes) === superBytes.readUInt32LE(SUPERBLOCK_CHECKSUM_OFFSET) ? 'ok' : 'bad',
    needsRecovery: (incompat & INCOMPAT_RECOVER) !== 0,
    clean: ((sb.s_state as number) & 1) !== 0,
  };

  // Checksums (checksums.rst): seeded by crc32c of the UUID, or s_checksum_seed with metadata_csum_seed.
  const fsSeed = (incompat & INCOMPAT_CSUM_SEED) !== 0 ? (sb.s_checksum_seed as number) : crc32c(0xffffffff, sb.s_uuid as Uint8Array);
  const report: Ext4ChecksumReport = {
    enabled: checksums,
    groupDescriptors: { checked: 0, bad: 0 },
    inodes: { checked: 0, bad: 0 },
    extentBlocks: { checked: 0, bad: 0 },
    directoryBlocks: { checked: 0, bad: 0 },
    xattrBlocks: { checked: 0, bad: 0 },
    failures: [],
  };
  const checked = new Set<string>();
  /** Counts one verification once (a structure read twice is not counted twice); false when it failed. */
  const tally = (kind: Exclude<keyof Ext4ChecksumReport, 'enabled' | 'failures'>, what: string, ok: boolean): boolean => {
    if (checked.has(what)) return ok;
    checked.add(what);
    report[kind].checked++;
    if (!ok) {
      report[kind].bad++;
      if (report.failures.length < 20) report.failures.push(what);
    }
    return ok;
  };

  let inodeTables: number[] | undefined;
  const groupTables = async (): Promise<number[]> => {
    if (inodeTables) return inodeTables;
    const gdtBlock = (sb.s_first_data_block as number) + 1;
    const gdt = await read(gdtBlock * blockSize, groupCount * descSize);
    const tables: number[] = [];
    for (let g = 0; g < groupCount; g++) {
      const d = decodeGroupDescriptor(gdt, g * descSize, descSize as 32 | 64);
      tables.push((descSize === 64 ? (d.bg_inode_table_hi as number) * 2 ** 32 : 0) + (d.bg_inode_table_lo as number));
      if (checksums) {
        const bytes = gdt.subarray(g * descSize, (g + 1) * descSize);
        tally('groupDescriptors', `group descriptor ${g}`, groupDescriptorChecksum(bytes, g, fsSeed) === bytes.readUInt16LE(GROUP_DESCRIPTOR_CHECKSUM_OFFSET));
      }
    }
    return (inodeTables = tables);
  };
  const inodeSeedOf = (ino: number, raw: Buffer): number => inodeChecksumSeed(fsSeed, ino, raw.readUInt32LE(0x64));
  /** Verifies an inode's checksum over its full on-disk size (the hi half only when i_extra_isize covers it). */
  const inodeChecksumOk = (ino: number, full: Buffer): boolean => {
    const copy = Buffer.from(full);
    const hasHi = inodeSize > 128 && copy.readUInt16LE(0x80) >= 4;
    const stored = copy.readUInt16LE(INODE_CHECKSUM_LO_OFFSET) + (hasHi ? copy.readUInt16LE(INODE_CHECKSUM_HI_OFFSET) * 65536 : 0);
    copy.writeUInt16LE(0, INODE_CHECKSUM_LO_OFFSET);
    if (hasHi) copy.writeUInt16LE(0, INODE_CHECKSUM_HI_OFFSET);
    const sum = crc32c(inodeSeedOf(ino, full), copy);
    return (hasHi ? sum >>> 0 : sum & 0xffff) === stored;
  };

  const chunks = new Map<number, Buffer>();
  const readInodeFull = async (ino: number): Promise<Buffer> => {
    const tables = await groupTables();
    if (!Number.isInteger(ino) || ino < 1 || ino > inodeCount) throw fail(`inode number ${ino} is out of range`);
    const group = Math.floor((ino - 1) / inodesPerGroup);
    const tableBlock = tables[group]!;
    if (tableBlock <= 0 || tableBlock >= blockCount) throw fail(`group ${group}: inode table block ${tableBlock} is out of range`);
    const byteInTable = ((ino - 1) % inodesPerGroup) * inodeSize;
    const chunkIndex = Math.floor(byteInTable / INODE_CHUNK_BYTES);
    const key = group * 2 ** 20 + chunkIndex;
    let chunk = chunks.get(key);
    if (!chunk) {
      if (chunks.size >= MAX_CACHED_CHUNKS) chunks.clear();
      const tableBytes = inodesPerGroup * inodeSize;
      const start = chunkIndex * INODE_CHUNK_BYTES;
      chunk = await read(tableBlock * blockSize + start, Math.min(INODE_CHUNK_BYTES, tableBytes - start));
      chunks.set(key, chunk);
    }
    const at = byteInTable % INODE_CHUNK_BYTES;
    const full = chunk.subarray(at, at + inodeSize);
    if (checksums) tally('inodes', `inode ${ino}`, inodeChecksumOk(ino, full));
    return full;
  };
  /** An inode as the 256-byte codec expects it (a 128-byte inode zero-extended). */
  const readInode = async (ino: number): Promise<Buffer> => {
    const full = await readInodeFull(ino);
    const raw = Buffer.alloc(256);
    full.copy(raw, 0, 0, Math.min(inodeSize, 256));
    return raw;
  };

  /** Extents of an inode, leaves in logical order; index blocks read as needed (depth bounded). */
  const extentsOf = async (ino: number, iBlock: Buffer, inodeSeed: number): Promise<Extent[]> => {
    const leaves: Extent[] = [];
    const seenBlocks = new Set<number>();
    const walk = async (node: Buffer, depthLeft: number, where: string): Promise<void> => {
      if (node.readUInt16LE(0) !== EXT4_EXT_MAGIC) throw fail(`inode ${ino}: bad extent header in ${where}`);
      // eh_entries and eh_depth checked before the entries are decoded: they decide how far decoding reads.
      if (12 + node.readUInt16LE(2) * 12 > node.length || node.readUInt16LE(6) > depthLeft) throw fail(`inode ${ino}: malformed extent node in ${where}`);
      const decoded = decodeExtentNode(node);
      for (const leaf of decoded.leaves) leaves.push(leaf);
      for (const index of decoded.indexes) {
        if (index.childBlock <= 0 || index.childBlock >= blockCount) throw fail(`inode ${ino}: extent index points at block ${index.childBlock}, outside the filesystem`);
        // A block referenced twice would multiply the walk: each tree block is read once or the tree is corrupt.
        if (seenBlocks.has(index.childBlock)) throw fail(`inode ${ino}: extent tree block ${index.childBlock} is referenced twice`);
        seenBlocks.add(index.childBlock);
        const child = await read(index.childBlock * blockSize, blockSize);
        if (checksums && child.readUInt16LE(0) === EXT4_EXT_MAGIC) {
          const tail = 12 + 12 * child.readUInt16LE(4);
          const ok = tail + 4 <= blockSize && crc32c(inodeSeed, child.subarray(0, tail)) === child.readUInt32LE(tail);
          tally('extentBlocks', `inode ${ino} extent block ${index.childBlock}`, ok);
        }
        await walk(child, decoded.depth - 1, `block ${index.childBlock}`);
      }
    };
    await walk(iBlock, 5, 'the inode');
    return leaves;
  };

  /** Logical data segments and matching physical runs (uninitialised extents read as holes). */
  const mapFile = (ino: number, extents: Extent[], sizeBytes: number): { segments: DataSegment[]; runs: Array<{ physicalBytes: number; lengthBytes: number }> } => {
    const segments: DataSegment[] = [];
    const runs: Array<{ physicalBytes: number; lengthBytes: number }> = [];
    let lastEnd = 0;
    for (const extent of extents) {
      const uninit = extent.blockCount > 32768;
      const count = uninit ? extent.blockCount - 32768 : extent.blockCount;
      const start = extent.logicalBlock * blockSize;
      if (start < lastEnd) throw fail(`inode ${ino}: extents overlap or are out of order`);
      if (extent.physicalBlock + count > blockCount) throw fail(`inode ${ino}: extent at block ${extent.physicalBlock} runs past the filesystem`);
      lastEnd = start + count * blockSize;
      if (uninit || start >= sizeBytes) continue;
      const length = Math.min(count * blockSize, sizeBytes - start);
      const previous = segments[segments.length - 1];
      if (previous && previous.offsetBytes + previous.lengthBytes === start) previous.lengthBytes += length;
      else segments.push({ offsetBytes: start, lengthBytes: length });
      runs.push({ physicalBytes: base + extent.physicalBlock * blockSize, lengthBytes: length });
    }
    return { segments, runs };
  };

  const xattrsOf = async (ino: number, raw: Buffer, fileAcl: number): Promise<Map<string, Buffer>> => {
    const xattrs = new Map<string, Buffer>();
    const extra = inodeSize > 128 ? raw.readUInt16LE(0x80) : 0;
    const inlineStart = 128 + extra;
    if (inodeSize > 128 && inlineStart + 4 <= inodeSize && raw.readUInt32LE(inlineStart) === XATTR_MAGIC) {
      parseXattrEntries(raw.subarray(inlineStart + 4, inodeSize), 0, raw.subarray(inlineStart + 4, inodeSize), xattrs, () => fail(`inode ${ino}: malformed in-inode xattrs`));
    }
    if (fileAcl !== 0) {
      if (fileAcl >= blockCount) throw fail(`inode ${ino}: xattr block ${fileAcl} is outside the filesystem`);
      const block = await read(fileAcl * blockSize, blockSize);
      if (block.readUInt32LE(0) !== XATTR_MAGIC) throw fail(`inode ${ino}: xattr block ${fileAcl} has a bad magic`);
      if (checksums) {
        const number = Buffer.alloc(8);
        number.writeBigUInt64LE(BigInt(fileAcl));
        const zeroed = Buffer.from(block);
        zeroed.writeUInt32LE(0, 0x10);
        tally('xattrBlocks', `xattr block ${fileAcl}`, crc32c(crc32c(fsSeed, number), zeroed) === block.readUInt32LE(0x10));
      }
      parseXattrEntries(block, 32, block, xattrs, () => fail(`inode ${ino}: malformed xattr block ${fileAcl}`));
    }
    return xattrs;
  };

  const nodeInodes = new Map<Node, number>();
  const readTree = async (): Promise<FileTree> => {
    const nodes = new Map<number, Node>();
    const visitingDirs = new Set<number>();
    const loadNode = async (ino: number): Promise<Node> => {
      const known = nodes.get(ino);
      if (known) {
        if (known.kind === 'dir') throw fail(`directory inode ${ino} has more than one name`);
        return known;
      }
      const raw = await readInode(ino);
      const f = decodeInode(raw);
      const mode = f.i_mode as number;
      const flags = f.i_flags as number;
      const extra = inodeSize > 128 ? (f.i_extra_isize as number) : 0;
      const hasExtra = (field: number): boolean => inodeSize > 128 && 128 + extra >= field + 4;
      const time = (baseField: string, extraField: string, offset: number) =>
        decodeTimestamp(f[baseField] as number, hasExtra(offset) ? (f[extraField] as number) : 0);
      const sizeBytes = (f.i_size_high as number) * 2 ** 32 + (f.i_size_lo as number);
      const fileAcl = (f.l_i_file_acl_high as number) * 2 ** 32 + (f.i_file_acl_lo as number);
      const meta: NodeMeta = makeMeta({
        mode: mode & 0o7777,
        uid: (f.l_i_uid_high as number) * 65536 + (f.i_uid as number),
        gid: (f.l_i_gid_high as number) * 65536 + (f.i_gid as number),
        mtime: time('i_mtime', 'i_mtime_extra', 0x88),
        atime: time('i_atime', 'i_atime_extra', 0x8c),
        ctime: time('i_ctime', 'i_ctime_extra', 0x84),
        xattrs: await xattrsOf(ino, raw, fileAcl),
      });
      const iBlock = Buffer.from(f.i_block as Uint8Array);
      const type = mode & 0o170000;
      if ((flags & EXT4_INLINE_DATA_FL) !== 0) {
        throw fail(`inode ${ino}: inline data is not supported`);
      }
      const dataExtents = async (): Promise<Extent[]> => {
        if ((flags & EXT4_EXTENTS_FL) === 0) {
          if (sizeBytes === 0) return [];
          throw fail(`inode ${ino}: block-mapped files (ext2/ext3 layout) are not supported`);
        }
        return extentsOf(ino, iBlock, inodeSeedOf(ino, raw));
      };
      let node: Node;
      if (type === 0o040000) {
        const dir: DirNode = { kind: 'dir', meta, children: new Map() };
        nodes.set(ino, dir);
        nodeInodes.set(dir, ino);
        if (visitingDirs.has(ino)) throw fail(`directory inode ${ino} contains itself`);
        visitingDirs.add(ino);
        const { segments, runs } = mapFile(ino, await dataExtents(), sizeBytes);
        void segments;
        for (const run of runs) {
          for (let at = 0; at < run.lengthBytes; at += blockSize) {
            const block = await read(run.physicalBytes - base + at, Math.min(blockSize, run.lengthBytes - at));
            // A leaf block ends in a checksum tail (a 12-byte dirent of file_type 0xde); htree index blocks
            // carry theirs elsewhere and are read here only as empty dirents.
            const tail = block.length - 12;
            if (checksums && tail > 0 && block.readUInt32LE(tail) === 0 && block.readUInt16LE(tail + 4) === 12 && block.readUInt16LE(tail + 6) === 0xde00) {
              tally('directoryBlocks', `directory inode ${ino} block ${(run.physicalBytes - base + at) / blockSize}`, crc32c(inodeSeedOf(ino, raw), block.subarray(0, tail)) === block.readUInt32LE(tail + 8));
            }
            for (const entry of parseDirBlock(block, () => fail(`directory inode ${ino}: malformed entry in block at byte ${run.physicalBytes + at}`))) {
              if (dir.children.has(entry.name)) throw fail(`directory inode ${ino}: duplicate name`);
              dir.children.set(entry.name, await loadNode(entry.inode));
            }
          }
        }
        visitingDirs.delete(ino);
        return dir;
      } else if (type === 0o100000) {
        const { segments, runs } = mapFile(ino, await dataExtents(), sizeBytes);
        const stored = runs.reduce((sum, r) => sum + r.lengthBytes, 0);
        const dense = segments.length === 1 && segments[0]!.offsetBytes === 0 && segments[0]!.lengthBytes === sizeBytes;
        node = {
          kind: 'file',
          meta,
          sizeBytes,
          content: { kind: 'source', source: new ExtentRunSource(source, runs, `${name}:inode ${ino}`), offsetBytes: 0, storedBytes: stored },
          ...(dense || sizeBytes === 0 ? {} : { segments }),
        };
      } else if (type === 0o120000) {
        let target: Buffer;
        const fast = (flags & EXT4_EXTENTS_FL) === 0 && sizeBytes < 60;
        if (sizeBytes > 4096) throw fail(`symlink inode ${ino}: target of ${sizeBytes} bytes is longer than PATH_MAX`);
        if (fast) target = iBlock.subarray(0, sizeBytes);
        else {
          const { runs } = mapFile(ino, await dataExtents(), sizeBytes);
          const parts: Buffer[] = [];
          for (const run of runs) parts.push(await read(run.physicalBytes - base, run.lengthBytes));
          target = Buffer.concat(parts);
          if (target.length !== sizeBytes) throw fail(`symlink inode ${ino}: target shorter than its size`);
        }
        node = { kind: 'symlink', meta, target: Buffer.from(target) };
      } else if (type === 0o020000 || type === 0o060000) {
        const old = iBlock.readUInt32LE(0);
        const dev = old !== 0 ? old : iBlock.readUInt32LE(4);
        const major = old !== 0 ? (old >>> 8) & 0xff : (dev >>> 8) & 0xfff;
        const minor = old !== 0 ? old & 0xff : (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        node = { kind: type === 0o020000 ? 'char-device' : 'block-device', meta, major, minor };
      } else if (type === 0o010000) node = { kind: 'fifo', meta };
      else if (type === 0o140000) node = { kind: 'socket', meta };
      else throw fail(`inode ${ino}: unknown file type ${(type >> 12).toString(8)}`);
      nodes.set(ino, node);
      nodeInodes.set(node, ino);
      return node;
    };
    const root = await loadNode(EXT4_ROOT_INO);
    if (root.kind !== 'dir') throw fail('the root inode is not a directory');
    return new FileTree(root);
  };
  const inodeDetails = async (ino: number): Promise<Ext4InodeDetails> => {
    const raw = await readInode(ino);
    const f = decodeInode(raw);
    const mode = f.i_mode as number;
    const flags = f.i_flags as number;
    const extra = inodeSize > 128 ? (f.i_extra_isize as number) : 0;
    const hasExtra = (field: number): boolean => inodeSize > 128 && 128 + extra >= field + 4;
    const time = (baseField: string, extraField: string, offset: number): Ext4Time =>
      decodeTimestamp(f[baseField] as number, hasExtra(offset) ? (f[extraField] as number) : 0);
    const type = TYPE_NAMES[(mode & 0o170000) >> 12];
    if (!type) throw fail(`inode ${ino}: unknown file type ${((mode & 0o170000) >> 12).toString(8)}`);
    const sizeBytes = (f.i_size_high as number) * 2 ** 32 + (f.i_size_lo as number);
    const fileAcl = (f.l_i_file_acl_high as number) * 2 ** 32 + (f.i_file_acl_lo as number);
    const iBlock = Buffer.from(f.i_block as Uint8Array);
    const fastSymlink = type === 'symlink' && (flags & EXT4_EXTENTS_FL) === 0;
    const extents: Ext4InodeDetails['extents'] = [];
    let extentDepth = 0;
    if ((flags & EXT4_EXTENTS_FL) !== 0 && (type === 'file' || type === 'dir' || type === 'symlink')) {
      extentDepth = iBlock.readUInt16LE(6);
      for (const e of await extentsOf(ino, iBlock, inodeSeedOf(ino, raw))) {
        const uninit = e.blockCount > 32768;
        extents.push({ logicalBlock: e.logicalBlock, physicalBlock: e.physicalBlock, blockCount: uninit ? e.blockCount - 32768 : e.blockCount, uninit });
      }
    } else if (!fastSymlink && (type === 'file' || type === 'dir') && sizeBytes > 0) {
      throw fail(`inode ${ino}: block-mapped files (ext2/ext3 layout) are not supported`);
    }
    return {
      inode: ino,
      type,
      mode: mode & 0o7777,
      uid: (f.l_i_uid_high as number) * 65536 + (f.i_uid as number),
      gid: (f.l_i_gid_high as number) * 65536 + (f.i_gid as number),
      sizeBytes,
      links: f.i_links_count as number,
      flags,
      generation: f.i_generation as number,
      blocks512: (f.l_i_blocks_high as number) * 2 ** 32 + (f.i_blocks_lo as number),
      times: {
        atime: time('i_atime', 'i_atime_extra', 0x8c),
        mtime: time('i_mtime', 'i_mtime_extra', 0x88),
        ctime: time('i_ctime', 'i_ctime_extra', 0x84),
        ...(hasExtra(0x94) ? { crtime: time('i_crtime', 'i_crtime_extra', 0x94) } : {}),
      },
      xattrs: await xattrsOf(ino, raw, fileAcl),
      extents,
      extentDepth,
      checksum: !checksums ? 'none' : inodeChecksumOk(ino, await readInodeFull(ino)) ? 'ok' : 'bad',
    };
  };
  return { facts, readTree, inodeOf: (node) => nodeInodes.get(node), inodeDetails, checksums: () => report };
}

function flagNames(value: number, names: Record<number, string>): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const flag = 2 ** bit;
    if (Math.floor(value / flag) % 2 === 1) out.push(names[flag] ?? `unknown_0x${flag.toString(16)}`);
  }
  return out;
}

/** Live entries of one directory block ("." and ".." and deleted or tail entries skipped). */
function parseDirBlock(block: Buffer, fail: () => AmikitError): Array<{ inode: number; name: string }> {
  const entries: Array<{ inode: number; name: string }> = [];
  let at = 0;
  while (at + 8 <= block.length) {
    const inode = block.readUInt32LE(at);
    const recLen = block.readUInt16LE(at + 4);
    const nameLen = block.readUInt8(at + 6);
    if (recLen < 8 || recLen % 4 !== 0 || at + recLen > block.length || (inode !== 0 && 8 + nameLen > recLen)) throw fail();
    if (inode !== 0 && nameLen > 0) {
      const name = bytesToName(block.subarray(at + 8, at + 8 + nameLen));
      if (name.includes('/') || name.includes('\0')) throw fail();
      if (name !== '.' && name !== '..') entries.push({ inode, name });
    }
    at += recLen;
  }
  return entries;
}

/** xattr entries from `entriesStart` of `region` until the 4 zero bytes that end them. */
function parseXattrEntries(region: Buffer, entriesStart: number, valueBase: Buffer, out: Map<string, Buffer>, fail: () => AmikitError): void {
  let at = entriesStart;
  while (at + 4 <= region.length && region.readUInt32LE(at) !== 0) {
    if (at + 16 > region.length) throw fail();
    const nameLen = region.readUInt8(at);
    const index = region.readUInt8(at + 1);
    const valueOffset = region.readUInt16LE(at + 2);
    const valueInode = region.readUInt32LE(at + 4);
    const valueSize = region.readUInt32LE(at + 8);
    if (at + 16 + nameLen > region.length || valueInode !== 0 || valueOffset + valueSize > valueBase.length) throw fail();
    const suffix = region.subarray(at + 16, at + 16 + nameLen).toString('latin1');
    const value = Buffer.from(valueBase.subarray(valueOffset, valueOffset + valueSize));
    if (index === 2) out.set('system.posix_acl_access', aclDiskToXattr(value));
    else if (index === 3) out.set('system.posix_acl_default', aclDiskToXattr(value));
    else out.set((XATTR_PREFIXES[index] ?? `unknown${index}.`) + suffix, value);
    at += 16 + ((nameLen + 3) & ~3);
  }
}

/** A file's stored bytes as one source: its extents' physical runs, concatenated. */
export class ExtentRunSource implements ByteSource {
  readonly sizeBytes: number;
  private readonly starts: number[] = [];

  constructor(
    private readonly image: ByteSource,
    private readonly runs: ReadonlyArray<{ physicalBytes: number; lengthBytes: number }>,
    readonly name: string,
  ) {
    let total = 0;
    for (const run of runs) {
      this.starts.push(total);
      total += run.lengthBytes;
    }
    this.sizeBytes = total;
  }

  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    for (const piece of this.pieces(lengthBytes, offsetBytes)) await this.image.readInto(target, targetOffset + piece.at, piece.length, piece.physical);
  }

  readIntoSync(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): void {
    if (!this.image.readIntoSync) throw new AmikitError('INTERNAL', `${this.name}: synchronous reads are not available`);
    for (const piece of this.pieces(lengthBytes, offsetBytes)) this.image.readIntoSync(target, targetOffset + piece.at, piece.length, piece.physical);
  }

  private *pieces(lengthBytes: number, offsetBytes: number): Generator<{ at: number; length: number; physical: number }> {
    if (offsetBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new AmikitError('INPUT_FORMAT', `${this.name}: read of ${lengthBytes} bytes at ${offsetBytes} past its ${this.sizeBytes} stored bytes`);
    }
    let done = 0;
    let index = 0;
    while (index + 1 < this.runs.length && this.starts[index + 1]! <= offsetBytes) index++;
    while (done < lengthBytes) {
      const run = this.runs[index]!;
      const within = offsetBytes + done - this.starts[index]!;
      const length = Math.min(run.lengthBytes - within, lengthBytes - done);
      yield { at: done, length, physical: run.physicalBytes + within };
      done += length;
      index++;
    }
  }

  async close(): Promise<void> {
    // The image source is shared by every file and closed by whoever opened it.
  }
}
