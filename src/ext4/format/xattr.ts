// Lays out an inode's extended attributes: the in-inode area after i_extra_isize and, when that is full,
// one external xattr block (kernel Documentation/filesystems/ext4/attributes.rst).
import { crc32c } from '../../kernels/index.js';
import { AmikitError } from '../../shared/errors.js';
import { aclXattrToDisk } from './posix-acl.js';

export interface XattrLayout {
  /**
   * `inlineSpaceBytes` bytes to place at inode offset 128 + i_extra_isize: magic 0xEA020000, entries,
   * terminator, values packed at the end. null when no attribute goes inline.
   */
  inlineArea: Buffer | null;
  /** A full xattr block (h_refcount 1, h_blocks 1, h_hash set, h_checksum 0) or null; seal it once placed. */
  block: Buffer | null;
}

export interface XattrLayoutOptions {
  /** inode_size − 128 − i_extra_isize: 96 for 256-byte inodes with extra_isize 32. */
  inlineSpaceBytes: number;
  blockSizeBytes: number;
}

const XATTR_MAGIC = 0xea020000;
/** ext4_xattr_header is 32 bytes; entries follow it. */
const BLOCK_HEADER_BYTES = 32;
/** ext4_xattr_entry without its name. */
const ENTRY_HEADER_BYTES = 16;
/** The 4 zero bytes that end an entry list. */
const TERMINATOR_BYTES = 4;
const NAME_HASH_SHIFT = 5;
const VALUE_HASH_SHIFT = 16;
const BLOCK_HASH_SHIFT = 16;
const MAX_NAME_BYTES = 255;

/** Name prefixes and their e_name_index; exact ACL names first so they win over "system.". */
const NAME_PREFIXES: readonly [prefix: string, index: number, exact: boolean][] = [
  ['system.posix_acl_access', 2, true],
  ['system.posix_acl_default', 3, true],
  ['user.', 1, false],
  ['trusted.', 4, false],
  ['security.', 6, false],
  ['system.', 7, false],
];

interface EncodedXattr {
  fullName: string;
  nameIndex: number;
  name: Buffer;
  value: Buffer;
  /** Entry bytes including the padded name. */
  entryBytes: number;
  /** Value bytes padded to 4. */
  valueBytes: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

function encodeName(fullName: string, value: Buffer): EncodedXattr {
  for (const [prefix, nameIndex, exact] of NAME_PREFIXES) {
    if (exact ? fullName !== prefix : !fullName.startsWith(prefix)) continue;
    const name = Buffer.from(fullName.slice(prefix.length), 'utf8');
    if (!exact && name.length === 0) {
      throw new AmikitError('INPUT_FORMAT', `xattr name '${fullName}' has an empty name after its namespace`, { data: { xattr: fullName } });
    }
    if (name.length > MAX_NAME_BYTES) {
      throw new AmikitError('FS_LIMIT', `xattr name '${fullName}' is longer than ${MAX_NAME_BYTES} bytes after its namespace`, { data: { xattr: fullName } });
    }
    // ext4 stores ACLs in its own compact form, not the VFS form that getxattr and tar carry.
    const stored = nameIndex === 2 || nameIndex === 3 ? aclXattrToDisk(value) : value;
    return {
      fullName,
      nameIndex,
      name,
      value: stored,
      entryBytes: pad4(ENTRY_HEADER_BYTES + name.length),
      valueBytes: pad4(stored.length),
    };
  }
  throw new AmikitError('FS_LIMIT', `ext4 cannot store xattr '${fullName}': namespace is not user., trusted., security. or system.`, {
    data: { xattr: fullName },
  });
}

/** Block order e2fsck and the kernel expect: (e_name_index, e_name_len, name bytes). */
function compareXattrs(a: EncodedXattr, b: EncodedXattr): number {
  return a.nameIndex - b.nameIndex || a.name.length - b.name.length || Buffer.compare(a.name, b.name);
}

/** ext4_xattr_hash_entry: name bytes, then the value as little-endian words (zero-padded). */
export function xattrEntryHash(name: Uint8Array, value: Uint8Array): number {
  let hash = 0;
  for (const byte of name) hash = ((hash << NAME_HASH_SHIFT) ^ (hash >>> (32 - NAME_HASH_SHIFT)) ^ byte) >>> 0;
  const words = Math.ceil(value.length / 4);
  for (let w = 0; w < words; w++) {
    let word = 0;
    for (let k = 3; k >= 0; k--) word = ((word << 8) | (value[w * 4 + k] ?? 0)) >>> 0;
    hash = ((hash << VALUE_HASH_SHIFT) ^ (hash >>> (32 - VALUE_HASH_SHIFT)) ^ word) >>> 0;
  }
  return hash;
}

/**
 * Writes entries at `entriesStart` and values downward from `areaEnd` (first entry's value last),
 * offsets relative to `offsetBase`. Returns the entry hashes.
 */
function writeEntries(
  area: Buffer,
  xattrs: readonly EncodedXattr[],
  entriesStart: number,
  areaEnd: number,
  offsetBase: number,
  withHash: boolean,
): number[] {
  let at = entriesStart;
  let valueEnd = areaEnd;
  const hashes: number[] = [];
  for (const x of xattrs) {
    valueEnd -= x.valueBytes;
    x.value.copy(area, valueEnd);
    const hash = withHash ? xattrEntryHash(x.name, x.value) : 0;
    area.writeUInt8(x.name.length, at); // 0x0 e_name_len
    area.writeUInt8(x.nameIndex, at + 1); // 0x1 e_name_index
    area.writeUInt16LE(valueEnd - offsetBase, at + 2); // 0x2 e_value_offs
    area.writeUInt32LE(0, at + 4); // 0x4 e_value_inum (no ea_inode)
    area.writeUInt32LE(x.value.length, at + 8); // 0x8 e_value_size
    area.writeUInt32LE(hash, at + 12); // 0xC e_hash
    x.name.copy(area, at + ENTRY_HEADER_BYTES); // 0x10 e_name
    hashes.push(hash);
    at += x.entryBytes;
  }
  // The 4 zero bytes after the last entry are already zero in the fresh buffer.
  return hashes;
}

/**
 * Places `xattrs` (full names such as "user.mime", "system.posix_acl_access"; ACL values in VFS form).
 * Attributes are taken in block order; each goes inline if it still fits there, else to the block, as
 * the kernel and libext2fs decide per setxattr. Inline entries carry hash 0 (as both write them);
 * block entries carry their hash and the header the block hash.
 * @throws AmikitError FS_LIMIT naming the attribute that fits neither inline nor in one block (values
 *   stored in separate inodes — ea_inode — are not supported), or for an unknown namespace.
 */
export function layoutXattrs(xattrs: ReadonlyMap<string, Buffer>, options: XattrLayoutOptions): XattrLayout {
  const encoded = [...xattrs].map(([name, value]) => encodeName(name, value)).sort(compareXattrs);
  let inlineFree = options.inlineSpaceBytes - 4 - TERMINATOR_BYTES; // magic + terminator
  let blockFree = options.blockSizeBytes - BLOCK_HEADER_BYTES - TERMINATOR_BYTES;
  const inline: EncodedXattr[] = [];
  const inBlock: EncodedXattr[] = [];
  for (const x of encoded) {
    const needed = x.entryBytes + x.valueBytes;
    if (needed <= inlineFree) {
      inline.push(x);
      inlineFree -= needed;
    } else if (needed <= blockFree) {
      inBlock.push(x);
      blockFree -= needed;
    } else {
      throw new AmikitError(
        'FS_LIMIT',
        `xattr '${x.fullName}' (${x.value.length} bytes) does not fit in the inode or in one ${options.blockSizeBytes}-byte xattr block`,
        { data: { xattr: x.fullName, valueBytes: x.value.length } },
      );
    }
  }

  let inlineArea: Buffer | null = null;
  if (inline.length > 0) {
    inlineArea = Buffer.alloc(options.inlineSpaceBytes);
    inlineArea.writeUInt32LE(XATTR_MAGIC, 0); // ibody header h_magic
    // In-inode value offsets count from the first entry (just after the magic).
    writeEntries(inlineArea, inline, 4, inlineArea.length, 4, false);
  }

  let block: Buffer | null = null;
  if (inBlock.length > 0) {
    block = Buffer.alloc(options.blockSizeBytes);
    block.writeUInt32LE(XATTR_MAGIC, 0x0); // h_magic
    block.writeUInt32LE(1, 0x4); // h_refcount
    block.writeUInt32LE(1, 0x8); // h_blocks
    const hashes = writeEntries(block, inBlock, BLOCK_HEADER_BYTES, block.length, 0, true);
    // h_hash (ext4_xattr_rehash) lets the kernel find identical blocks to share; any zero entry
    // hash means "do not share".
    let blockHash = 0;
    for (const hash of hashes) {
      if (hash === 0) {
        blockHash = 0;
        break;
      }
      blockHash = ((blockHash << BLOCK_HASH_SHIFT) ^ (blockHash >>> (32 - BLOCK_HASH_SHIFT)) ^ hash) >>> 0;
    }
    block.writeUInt32LE(blockHash, 0xc); // h_hash
  }
  return { inlineArea, block };
}

/**
 * Finalises an xattr block once its location and sharing are known: h_refcount (number of inodes
 * pointing at it) and, with metadata_csum, h_checksum = crc32c(fsSeed, le64 block number, block with
 * h_checksum zero) — the block number is in the checksum so a block copied elsewhere does not verify.
 */
export function sealXattrBlock(
  block: Buffer,
  options: { blockNumber: bigint | number; fsSeed?: number; refcount: number },
): void {
  block.writeUInt32LE(options.refcount, 0x4); // h_refcount
  block.writeUInt32LE(0, 0x10); // h_checksum
  if (options.fsSeed === undefined) return;
  const blockNumber = Buffer.alloc(8);
  blockNumber.writeBigUInt64LE(BigInt(options.blockNumber), 0);
  block.writeUInt32LE(crc32c(crc32c(options.fsSeed >>> 0, blockNumber), block), 0x10); // h_checksum
}
