// Walks the headers of a tar (POSIX pax, ustar, GNU, v7) and yields one TarEntry per member, seeking over
// file data instead of reading it. Decodes PAX/GNU long names, xattrs, ACLs and GNU sparse formats
// (old GNU 'S', PAX 0.0, 0.1 and 1.0; GNU tar manual, "Sparse Formats").
import type { ByteSource } from '../../tree/byte-source.js';
import { bytesToName, displayPath } from '../../tree/paths.js';
import { NO_XATTRS, type DataSegment, type Timespec } from '../../tree/node.js';
import { AmikitError, type ErrorCode } from '../../shared/errors.js';
import { aclTextToXattr } from './acl-text.js';
import { parsePaxDecimal, parsePaxRecords, parsePaxTime, type PaxRecord } from './pax.js';
import {
  decodeTarHeader,
  GNU_EXTENSION_IS_EXTENDED,
  GNU_EXTENSION_SLOTS,
  isZeroBlock,
  parseGnuSparseSlots,
  TAR_BLOCK_BYTES,
  type GnuSparseSlot,
  type TarHeader,
} from './tar-header.js';
import type { TarEntry, TarEntryType } from './tar-entry.js';

export type { TarEntry, TarEntryType } from './tar-entry.js';

export interface ReadTarOptions {
  /** Receives one-line notes about tolerated oddities (lone zero block, volume labels, ignored data). */
  onWarning?(message: string): void;
}

/** Extended headers ('x', 'g', 'L', 'K') larger than this are refused: real ones are a few KiB. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;
/** Sparse maps with more segments than this are refused. */
export const MAX_SPARSE_SEGMENTS = 1_000_000;
/** Header records scanned between event-loop turns: about a millisecond of work. */
const HEADERS_PER_EVENT_LOOP_TURN = 512;
/** Largest uid/gid an ext4 inode can hold. */
const MAX_ID = 0xffffffff;

const TYPE_BY_FLAG: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  S: 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char-device',
  '4': 'block-device',
  '5': 'dir',
  '6': 'fifo',
};

/** Header-only types: whatever their size field says, no data records follow (as Go's archive/tar reads them). */
const HEADER_ONLY_FLAGS = new Set(['1', '2', '3', '4', '5', '6']);

/** Extension headers seen since the last member, waiting for the member they describe. */
interface Pending {
  headerOffsetBytes: number | undefined;
  /** Extension data held for the next member: capped like one header, so a run of them cannot grow memory. */
  heldBytes: number;
  pax: PaxRecord[];
  longName: Buffer | undefined;
  longLink: Buffer | undefined;
}

const freshPending = (): Pending => ({ headerOffsetBytes: undefined, heldBytes: 0, pax: [], longName: undefined, longLink: undefined });

function roundUpToBlock(bytes: number): number {
  return Math.ceil(bytes / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
}

/**
 * How far ahead of the scan a source on a disk is asked to read. Headers sit between members' data, so
 * on a cold cache every jump over a member was a synchronous read from the device (~0.2 s of waiting
 * on a Debian rootfs); fetched in the background, in large sequential requests, they are in the page
 * cache when the scan gets there, and so is the data the writer reads next.
 */
const ADVISE_AHEAD_BYTES = 32 * 1024 * 1024;
/** The hint is renewed each time the scan has moved this far into it. */
const ADVISE_STEP_BYTES = 8 * 1024 * 1024;

/**
 * Serves header reads from a window read ahead of them: in layers of many small files the next headers
 * sit within a few KiB, so one read replaces several. Reads outside the window refill it there. Over a
 * source that reads synchronously (a local file) the refill is a plain pread: one promise round trip
 * per refill cost more than the read itself and left the scan waiting on the threadpool.
 */
class ReadAhead {
  private readonly window: Buffer;
  private windowStart = 0;
  private windowLength = 0;
  private advisedEnd = 0;

  constructor(
    private readonly source: ByteSource,
    windowBytes: number,
  ) {
    this.window = Buffer.alloc(Math.min(windowBytes, Math.max(TAR_BLOCK_BYTES, source.sizeBytes)));
  }

  /**
   * Reads exactly `lengthBytes` at `offsetBytes` (the caller has checked that they exist); returns a
   * promise only when the source had to be read asynchronously.
   */
  readInto(target: Buffer, lengthBytes: number, offsetBytes: number): Promise<void> | undefined {
    if (lengthBytes > this.window.length) {
      if (this.source.readIntoSync) {
        this.source.readIntoSync(target, 0, lengthBytes, offsetBytes);
        return undefined;
      }
      return this.source.readInto(target, 0, lengthBytes, offsetBytes);
    }
    if (offsetBytes >= this.windowStart && offsetBytes + lengthBytes <= this.windowStart + this.windowLength) {
      this.window.copy(target, 0, offsetBytes - this.windowStart, offsetBytes - this.windowStart + lengthBytes);
      return undefined;
    }
    this.windowStart = offsetBytes;
    this.windowLength = Math.min(this.window.length, this.source.sizeBytes - offsetBytes);
    if (this.source.adviseWillNeed && this.advisedEnd - offsetBytes < ADVISE_AHEAD_BYTES - ADVISE_STEP_BYTES) {
      const start = Math.max(this.advisedEnd, offsetBytes);
      this.advisedEnd = Math.min(this.source.sizeBytes, offsetBytes + ADVISE_AHEAD_BYTES);
      if (this.advisedEnd > start) this.source.adviseWillNeed(start, this.advisedEnd - start);
    }
    if (this.source.readIntoSync) {
      this.source.readIntoSync(this.window, 0, this.windowLength, offsetBytes);
      this.window.copy(target, 0, 0, lengthBytes);
      return undefined;
    }
    return this.source.readInto(this.window, 0, this.windowLength, offsetBytes).then(() => {
      this.window.copy(target, 0, 0, lengthBytes);
    });
  }
}

/**
 * Yields the members of the tar in `source`, in archive order. Data is not read; each entry says where its
 * stored bytes are. Reading stops at the end-of-archive marker; anything after it is ignored.
 * @throws AmikitError INPUT_FORMAT (corrupt, truncated, unsupported) or INPUT_LIMIT (absurd sizes), with a
 *   one-line message `${source.name}: offset N: …`.
 */
export async function* readTarEntries(source: ByteSource, options: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  // One member per batch: a caller may stop at any member, and nothing after it is read or reported.
  for await (const batch of scanTarEntries(source, options, (entry) => entry, 1)) yield* batch;
}

/**
 * readTarEntries with each entry mapped, in batches of up to `batchEntries`: a layer maps entries to its
 * own type in the same generator instead of re-yielding them through a second one, and takes many per
 * step (each step of an async generator costs promises and a result object, and suspends and resumes
 * both the scan and its consumer). A batch is cut short where the archive ends.
 */
export async function* scanTarEntries<T>(source: ByteSource, options: ReadTarOptions, map: (entry: TarEntry) => T, batchEntries: number): AsyncGenerator<T[]> {
  const warn = options.onWarning ?? ((): void => undefined);
  const sizeBytes = source.sizeBytes;
  const where = (offsetBytes: number): string => `${source.name}: offset ${offsetBytes}`;
  const fail = (code: ErrorCode, offsetBytes: number, message: string): AmikitError =>
    new AmikitError(code, `${where(offsetBytes)}: ${message}`, { data: { file: source.name, offsetBytes } });
  /** Re-prefixes errors thrown by helpers that only know a message, so every message names source and offset. */
  const rethrowAt = (offsetBytes: number, error: unknown): never => {
    if (error instanceof AmikitError && !error.message.startsWith(`${source.name}: `)) {
      throw new AmikitError(error.code, `${where(offsetBytes)}: ${error.message}`, {
        data: { file: source.name, offsetBytes },
        cause: error,
      });
    }
    throw error;
  };

  /** Checks a data region against the source before anything is allocated or read for it. */
  // `what` may be a function: naming a member's path is a few conversions, worth paying only for the message.
  const checkDataFits = (headerOffset: number, dataOffset: number, storedBytes: number, what: string | (() => string)): void => {
    if (dataOffset + storedBytes > sizeBytes) {
      throw fail(
        'INPUT_FORMAT',
        headerOffset,
        `truncated: ${typeof what === 'function' ? what() : what} needs ${storedBytes} bytes at offset ${dataOffset} but the archive ends at ${sizeBytes}`,
      );
    }
  };

  const block = Buffer.alloc(TAR_BLOCK_BYTES);
  const reader = new ReadAhead(source, 64 * 1024);
  const globalPax = new Map<string, Buffer>();
  let globalBytes = 0;
  let pending = freshPending();
  let offset = 0;

  // Returns a promise only when the source had to be read asynchronously: nearly every member of a
  // pax archive has an extended header, and awaiting an async function for each suspended the whole
  // scan (its ~50 registers saved and restored) once more per member.
  const readExtension = (headerOffset: number, header: TarHeader, what: string): Buffer | Promise<Buffer> => {
    if (header.sizeBytes > MAX_EXTENDED_HEADER_BYTES) {
      throw fail('INPUT_LIMIT', headerOffset, `${what} of ${header.sizeBytes} bytes exceeds the limit of ${MAX_EXTENDED_HEADER_BYTES}`);
    }
    checkDataFits(headerOffset, headerOffset + TAR_BLOCK_BYTES, roundUpToBlock(header.sizeBytes), what);
    const held = header.typeflag === 'g' ? globalBytes : pending.heldBytes;
    if (held + header.sizeBytes > MAX_EXTENDED_HEADER_BYTES) {
      throw fail(
        'INPUT_LIMIT',
        headerOffset,
        `${header.typeflag === 'g' ? 'global PAX headers' : 'extension headers of one member'} exceed ${MAX_EXTENDED_HEADER_BYTES} bytes in total`,
      );
    }
    if (header.typeflag === 'g') globalBytes += header.sizeBytes;
    else pending.heldBytes += header.sizeBytes;
    const data = Buffer.allocUnsafe(header.sizeBytes); // filled entirely by the read below
    const pendingRead = reader.readInto(data, header.sizeBytes, headerOffset + TAR_BLOCK_BYTES);
    return pendingRead ? pendingRead.then(() => data) : data;
  };

  let batch: T[] = [];
  let headersSinceYield = 0;
  for (;;) {
    // With synchronous reads nothing here waits on I/O: hand the event loop a turn now and then so
    // signals (Ctrl-C), timers and progress are served during a long scan.
    if (++headersSinceYield >= HEADERS_PER_EVENT_LOOP_TURN) {
      headersSinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const hasPending = pending.headerOffsetBytes !== undefined;
    if (offset === sizeBytes) {
      if (hasPending) throw fail('INPUT_FORMAT', pending.headerOffsetBytes!, 'truncated: extended header is not followed by a member');
      warn(`${where(offset)}: archive ends without an end-of-archive marker`);
      if (batch.length > 0) yield batch;
      return;
    }
    if (sizeBytes - offset < TAR_BLOCK_BYTES) {
      throw fail('INPUT_FORMAT', offset, `truncated header (${sizeBytes - offset} of ${TAR_BLOCK_BYTES} bytes)`);
    }
    {
      const pendingRead = reader.readInto(block, TAR_BLOCK_BYTES, offset);
      if (pendingRead) await pendingRead;
    }

    if (isZeroBlock(block)) {
      if (hasPending) throw fail('INPUT_FORMAT', pending.headerOffsetBytes!, 'extended header is followed by the end of the archive');
      const next = offset + TAR_BLOCK_BYTES;
      if (sizeBytes - next < TAR_BLOCK_BYTES) {
        warn(`${where(offset)}: archive ends with a single zero block`);
        if (batch.length > 0) yield batch;
        return;
      }
      {
        const pendingRead = reader.readInto(block, TAR_BLOCK_BYTES, next);
        if (pendingRead) await pendingRead;
      }
      // Like GNU tar, a lone zero block ends the archive; what follows it is reported, not read.
      if (!isZeroBlock(block)) warn(`${where(offset)}: lone zero block; the rest of the archive is ignored`);
      if (batch.length > 0) yield batch;
      return;
    }

    let header: TarHeader;
    try {
      header = decodeTarHeader(block, where(offset));
    } catch (error) {
      return rethrowAt(offset, error);
    }
    const headerOffset = offset;
    pending.headerOffsetBytes ??= headerOffset;
    const typeflag = header.typeflag;
    const dataStart = headerOffset + TAR_BLOCK_BYTES;

    switch (typeflag) {
      case 'x':
      case 'X': // Solaris tar's name for the same extended header
      case 'g': {
        let data = readExtension(headerOffset, header, 'PAX extended header');
        if (data instanceof Promise) data = await data;
        let records: PaxRecord[];
        try {
          records = parsePaxRecords(data, where(headerOffset));
        } catch (error) {
          return rethrowAt(headerOffset, error);
        }
        if (typeflag === 'g') {
          // A global header describes no member of its own; an empty value removes a global default.
          for (const { key, value } of records) {
            if (value.length === 0) globalPax.delete(key);
            else globalPax.set(key, Buffer.from(value)); // outlives the header's data
          }
          if (pending.pax.length === 0 && pending.longName === undefined && pending.longLink === undefined) {
            pending.headerOffsetBytes = undefined;
          }
        } else {
          for (const record of records) pending.pax.push(record);
        }
        offset = dataStart + roundUpToBlock(header.sizeBytes);
        continue;
      }
      case 'L':
      case 'K': {
        let data = readExtension(headerOffset, header, typeflag === 'L' ? 'GNU long name' : 'GNU long link name');
        if (data instanceof Promise) data = await data;
        const end = data.indexOf(0);
        const value = end === -1 ? data : data.subarray(0, end);
        if (typeflag === 'L') pending.longName = value;
        else pending.longLink = value;
        offset = dataStart + roundUpToBlock(header.sizeBytes);
        continue;
      }
      case 'V': {
        warn(`${where(headerOffset)}: volume label '${displayPath(header.path)}' skipped`);
        checkDataFits(headerOffset, dataStart, roundUpToBlock(header.sizeBytes), 'volume label');
        offset = dataStart + roundUpToBlock(header.sizeBytes);
        pending = freshPending();
        continue;
      }
      default:
        break;
    }

    // Errors about the member name its first header record (an extension header when there is one).
    const entryOffset = pending.headerOffsetBytes;
    const type = TYPE_BY_FLAG[typeflag];
    // Copying an empty Map through its iterable constructor was the scan's costliest line.
    const pax = globalPax.size === 0 ? new Map<string, Buffer>() : new Map(globalPax);
    for (const { key, value } of pending.pax) {
      if (value.length === 0) pax.delete(key);
      else pax.set(key, value);
    }
    const longPath = pax.get('GNU.sparse.name') ?? pax.get('path') ?? pending.longName;
    const path = longPath !== undefined ? bytesToName(longPath) : header.path;
    if (type === undefined) {
      const shown = typeflag === '\0' ? '\\0' : typeflag.charCodeAt(0) < 0x20 || typeflag.charCodeAt(0) > 0x7e ? `\\x${typeflag.charCodeAt(0).toString(16)}` : typeflag;
      throw fail('INPUT_FORMAT', entryOffset, `unsupported tar entry type '${shown}' for path ${displayPath(path)}`);
    }

    let entry: TarEntry;
    try {
      entry = buildEntry(header, type, path, pax, pending, where(entryOffset), warn);
    } catch (error) {
      return rethrowAt(entryOffset, error);
    }
    entry.headerOffsetBytes = entryOffset;

    // The stored region: everything after the header(s) that the size field covers.
    let regionStart = dataStart;
    const regionBytes = HEADER_ONLY_FLAGS.has(typeflag) ? 0 : pax.has('size') ? parsePaxSize(pax, where(entryOffset)) : header.sizeBytes;
    if (HEADER_ONLY_FLAGS.has(typeflag) && (pax.has('size') ? parsePaxSize(pax, where(entryOffset)) : header.sizeBytes) > 0 && typeflag !== '5') {
      warn(`${where(entryOffset)}: size field of ${type} ${displayPath(path)} ignored (no data is stored for this type)`);
    }

    if (typeflag === 'S') {
      // Old GNU sparse: more map slots follow in extension records before the data.
      const slots = [...header.gnuSparse];
      let extended = header.gnuIsExtended;
      while (extended) {
        if (sizeBytes - regionStart < TAR_BLOCK_BYTES) {
          throw fail('INPUT_FORMAT', entryOffset, `truncated sparse extension header at offset ${regionStart}`);
        }
        {
          const pendingRead = reader.readInto(block, TAR_BLOCK_BYTES, regionStart);
          if (pendingRead) await pendingRead;
        }
        try {
          slots.push(...parseGnuSparseSlots(block, 0, GNU_EXTENSION_SLOTS, where(regionStart)));
        } catch (error) {
          return rethrowAt(regionStart, error);
        }
        if (slots.length > MAX_SPARSE_SEGMENTS) {
          throw fail('INPUT_LIMIT', entryOffset, `sparse map has more than ${MAX_SPARSE_SEGMENTS} segments`);
        }
        extended = block[GNU_EXTENSION_IS_EXTENDED] !== 0;
        regionStart += TAR_BLOCK_BYTES;
      }
      checkDataFits(entryOffset, regionStart, roundUpToBlock(regionBytes), () => `data of ${displayPath(path)}`);
      entry.sizeBytes = pax.has('GNU.sparse.size') ? parsePaxSize(pax, where(entryOffset), 'GNU.sparse.size') : header.gnuRealSizeBytes;
      entry.segments = checkSegments(slots, entry.sizeBytes, regionBytes, path, fail, entryOffset);
      entry.dataOffsetBytes = regionStart;
      entry.storedBytes = regionBytes;
    } else if (type === 'file' && isPaxSparse(pax)) {
      checkDataFits(entryOffset, regionStart, roundUpToBlock(regionBytes), () => `data of ${displayPath(path)}`);
      const sparse = await decodePaxSparse(source, pax, pending.pax, regionStart, regionBytes, where(entryOffset), fail, entryOffset);
      entry.sizeBytes = sparse.realSizeBytes;
      entry.segments = checkSegments(sparse.segments, sparse.realSizeBytes, regionBytes - sparse.mapBytes, path, fail, entryOffset);
      entry.dataOffsetBytes = regionStart + sparse.mapBytes;
      entry.storedBytes = regionBytes - sparse.mapBytes;
    } else {
      checkDataFits(entryOffset, regionStart, roundUpToBlock(regionBytes), () => `data of ${displayPath(path)}`);
      entry.dataOffsetBytes = regionStart;
      entry.storedBytes = type === 'file' ? regionBytes : 0;
      entry.sizeBytes = type === 'file' ? regionBytes : 0;
      if (type !== 'file' && regionBytes > 0) warn(`${where(entryOffset)}: ${regionBytes} data bytes of ${type} ${displayPath(path)} ignored`);
    }

    offset = regionStart + roundUpToBlock(regionBytes);
    pending = freshPending();
    batch.push(map(entry));
    if (batch.length >= batchEntries) {
      yield batch;
      batch = [];
    }
  }
}

function parsePaxSize(pax: Map<string, Buffer>, where: string, key = 'size'): number {
  return parsePaxDecimal(pax.get(key)!, key, where);
}

function parseId(pax: Map<string, Buffer>, key: 'uid' | 'gid', fallback: number, where: string): number {
  const value = pax.has(key) ? parsePaxDecimal(pax.get(key)!, key, where) : fallback;
  if (value > MAX_ID) throw new AmikitError('INPUT_LIMIT', `${where}: ${key} ${value} is larger than ${MAX_ID}`);
  return value;
}

/** GNU tar's ACL text records and the xattrs they stand for. */
const ACL_RECORDS = [
  ['SCHILY.acl.access', 'system.posix_acl_access'],
  ['SCHILY.acl.default', 'system.posix_acl_default'],
] as const;

/** Metadata of a member from its header and the PAX records that apply to it. */
function buildEntry(
  header: TarHeader,
  type: TarEntryType,
  path: string,
  pax: Map<string, Buffer>,
  pending: Pending,
  where: string,
  warn: (message: string) => void,
): TarEntry {
  // Pre-POSIX archives mark directories only by a trailing slash on an old-style regular file.
  if (type === 'file' && path.endsWith('/') && (header.typeflag === '\0' || header.magic === 'v7')) type = 'dir';

  const mtime: Timespec = pax.has('mtime') ? parsePaxTime(pax.get('mtime')!, 'mtime', where) : { sec: header.mtimeSec, nsec: 0 };
  const entry: TarEntry = {
    path,
    type,
    mode: header.mode & 0o7777,
    uid: parseId(pax, 'uid', header.uid, where),
    gid: parseId(pax, 'gid', header.gid, where),
    mtime,
    sizeBytes: 0,
    devMajor: 0,
    devMinor: 0,
    xattrs: NO_XATTRS,
    dataOffsetBytes: 0,
    storedBytes: 0,
    headerOffsetBytes: 0,
  };
  if (pax.has('atime')) entry.atime = parsePaxTime(pax.get('atime')!, 'atime', where);
  else if (header.gnuAtimeSec !== 0) entry.atime = { sec: header.gnuAtimeSec, nsec: 0 };
  if (pax.has('ctime')) entry.ctime = parsePaxTime(pax.get('ctime')!, 'ctime', where);
  else if (header.gnuCtimeSec !== 0) entry.ctime = { sec: header.gnuCtimeSec, nsec: 0 };

  if (type === 'symlink' || type === 'hardlink') {
    const longLink = pax.get('linkpath') ?? pending.longLink;
    entry.linkTarget = longLink !== undefined ? bytesToName(longLink) : header.linkname;
  }
  if (type === 'char-device' || type === 'block-device') {
    entry.devMajor = pax.has('SCHILY.devmajor') ? parsePaxDecimal(pax.get('SCHILY.devmajor')!, 'SCHILY.devmajor', where) : header.devMajor;
    entry.devMinor = pax.has('SCHILY.devminor') ? parsePaxDecimal(pax.get('SCHILY.devminor')!, 'SCHILY.devminor', where) : header.devMinor;
  }

  // Most members have no xattr: the map is made for the first one (the rest share NO_XATTRS).
  let xattrs: Map<string, Buffer> | undefined;
  pax.forEach((value, key) => {
    if (key.startsWith('SCHILY.xattr.')) {
      const name = key.slice('SCHILY.xattr.'.length);
      if (name !== '') (xattrs ??= new Map()).set(name, Buffer.from(value)); // a view into the header's data: copied to keep
    } else if (key.startsWith('LIBARCHIVE.xattr.')) {
      const name = percentDecode(key.slice('LIBARCHIVE.xattr.'.length));
      if (name !== '') (xattrs ??= new Map()).set(name, Buffer.from(value.toString('latin1'), 'base64'));
    }
  });
  // GNU tar writes ACLs as text with user and group *names* (even with --numeric-owner), which cannot be
  // resolved offline; the raw xattr (written with --xattrs-include='*') is byte-exact, so it wins.
  for (const [key, xattr] of ACL_RECORDS) {
    const text = pax.get(key);
    if (text === undefined || xattrs?.has(xattr)) continue;
    try {
      const value = aclTextToXattr(text.toString('utf8'), where);
      if (value !== undefined) (xattrs ??= new Map()).set(xattr, value);
    } catch (error) {
      const unresolved = error instanceof AmikitError ? error.data['unresolvedName'] : undefined;
      if (unresolved === undefined) throw error;
      warn(`${where}: ${key} of ${displayPath(path)} names '${String(unresolved)}' without a numeric id; ACL dropped`);
    }
  }
  if (pax.has('SCHILY.acl.ace')) warn(`${where}: NFSv4 ACL of ${displayPath(path)} ignored`);
  if (xattrs) entry.xattrs = xattrs;
  return entry;
}

/** LIBARCHIVE.xattr names are URL-encoded (%XX) byte strings. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function isPaxSparse(pax: Map<string, Buffer>): boolean {
  return (
    pax.has('GNU.sparse.major') ||
    pax.has('GNU.sparse.map') ||
    pax.has('GNU.sparse.numblocks') ||
    pax.has('GNU.sparse.offset') ||
    pax.has('GNU.sparse.size')
  );
}

type Fail = (code: ErrorCode, offsetBytes: number, message: string) => AmikitError;

/** Decodes a PAX sparse map: 0.0 (offset/numbytes records), 0.1 (GNU.sparse.map) or 1.0 (map in the data). */
async function decodePaxSparse(
  source: ByteSource,
  pax: Map<string, Buffer>,
  records: readonly PaxRecord[],
  regionStart: number,
  regionBytes: number,
  where: string,
  fail: Fail,
  headerOffset: number,
): Promise<{ realSizeBytes: number; segments: GnuSparseSlot[]; mapBytes: number }> {
  const major = pax.get('GNU.sparse.major')?.toString('latin1');
  const minor = pax.get('GNU.sparse.minor')?.toString('latin1');
  if (major !== undefined) {
    if (major !== '1' || (minor ?? '0') !== '0') {
      throw fail('INPUT_FORMAT', headerOffset, `unsupported GNU sparse format ${major}.${minor ?? '?'}`);
    }
    const realKey = pax.has('GNU.sparse.realsize') ? 'GNU.sparse.realsize' : 'GNU.sparse.size';
    if (!pax.has(realKey)) throw fail('INPUT_FORMAT', headerOffset, 'GNU sparse 1.0 member without GNU.sparse.realsize');
    const realSizeBytes = parsePaxDecimal(pax.get(realKey)!, realKey, where);
    const { segments, mapBytes } = await readSparseMap10(source, regionStart, regionBytes, fail, headerOffset);
    return { realSizeBytes, segments, mapBytes };
  }

  if (!pax.has('GNU.sparse.size')) throw fail('INPUT_FORMAT', headerOffset, 'GNU sparse 0.x member without GNU.sparse.size');
  const realSizeBytes = parsePaxDecimal(pax.get('GNU.sparse.size')!, 'GNU.sparse.size', where);
  const declared = pax.has('GNU.sparse.numblocks') ? parsePaxDecimal(pax.get('GNU.sparse.numblocks')!, 'GNU.sparse.numblocks', where) : undefined;
  if (declared !== undefined && declared > MAX_SPARSE_SEGMENTS) {
    throw fail('INPUT_LIMIT', headerOffset, `sparse map of ${declared} segments exceeds the limit of ${MAX_SPARSE_SEGMENTS}`);
  }
  const segments: GnuSparseSlot[] = [];
  const map = pax.get('GNU.sparse.map');
  if (map !== undefined) {
    // 0.1: "offset,length,offset,length,…" in one record.
    const text = map.toString('latin1');
    const numbers = text === '' ? [] : text.split(',');
    if (numbers.length % 2 !== 0) throw fail('INPUT_FORMAT', headerOffset, 'GNU.sparse.map has an odd number of values');
    for (let i = 0; i < numbers.length; i += 2) {
      segments.push({
        offsetBytes: parsePaxDecimal(Buffer.from(numbers[i]!, 'latin1'), 'GNU.sparse.map', where),
        lengthBytes: parsePaxDecimal(Buffer.from(numbers[i + 1]!, 'latin1'), 'GNU.sparse.map', where),
      });
    }
  } else {
    // 0.0: repeated GNU.sparse.offset / GNU.sparse.numbytes records, in order (only the member's own records).
    let offsetBytes: number | undefined;
    for (const { key, value } of records) {
      if (key === 'GNU.sparse.offset') {
        if (offsetBytes !== undefined) throw fail('INPUT_FORMAT', headerOffset, 'GNU.sparse.offset without its GNU.sparse.numbytes');
        offsetBytes = parsePaxDecimal(value, key, where);
      } else if (key === 'GNU.sparse.numbytes') {
        if (offsetBytes === undefined) throw fail('INPUT_FORMAT', headerOffset, 'GNU.sparse.numbytes without a GNU.sparse.offset');
        segments.push({ offsetBytes, lengthBytes: parsePaxDecimal(value, key, where) });
        offsetBytes = undefined;
      }
    }
    if (offsetBytes !== undefined) throw fail('INPUT_FORMAT', headerOffset, 'GNU.sparse.offset without its GNU.sparse.numbytes');
  }
  if (declared !== undefined && declared !== segments.length) {
    throw fail('INPUT_FORMAT', headerOffset, `GNU.sparse.numblocks says ${declared} segments but the map has ${segments.length}`);
  }
  return { realSizeBytes, segments, mapBytes: 0 };
}

/**
 * Reads the GNU sparse 1.0 map at the start of the member's data: decimal numbers, one per line (count,
 * then offset/length pairs), padded to a whole block. Bounded by the member's size, read in chunks.
 */
async function readSparseMap10(
  source: ByteSource,
  regionStart: number,
  regionBytes: number,
  fail: Fail,
  headerOffset: number,
): Promise<{ segments: GnuSparseSlot[]; mapBytes: number }> {
  const chunk = Buffer.alloc(64 * 1024);
  let chunkStart = 0; // relative to regionStart
  let chunkLength = 0;
  let position = 0; // relative to regionStart
  const nextNumber = async (): Promise<number> => {
    let value = 0;
    let digits = 0;
    for (;;) {
      if (position >= regionBytes) throw fail('INPUT_FORMAT', headerOffset, 'truncated GNU sparse 1.0 map');
      if (position >= chunkStart + chunkLength) {
        chunkStart = position;
        chunkLength = Math.min(chunk.length, regionBytes - position);
        await source.readInto(chunk, 0, chunkLength, regionStart + chunkStart);
      }
      const c = chunk[position - chunkStart]!;
      position++;
      if (c === 0x0a) break;
      if (c < 0x30 || c > 0x39 || digits >= 16) throw fail('INPUT_FORMAT', headerOffset, `malformed GNU sparse 1.0 map at byte ${position - 1}`);
      value = value * 10 + (c - 0x30);
      digits++;
    }
    if (digits === 0) throw fail('INPUT_FORMAT', headerOffset, `malformed GNU sparse 1.0 map at byte ${position - 1}`);
    return value;
  };
  const count = await nextNumber();
  if (count > MAX_SPARSE_SEGMENTS) {
    throw fail('INPUT_LIMIT', headerOffset, `sparse map of ${count} segments exceeds the limit of ${MAX_SPARSE_SEGMENTS}`);
  }
  const segments: GnuSparseSlot[] = [];
  for (let i = 0; i < count; i++) {
    const offsetBytes = await nextNumber();
    segments.push({ offsetBytes, lengthBytes: await nextNumber() });
  }
  const mapBytes = roundUpToBlock(position);
  if (mapBytes > regionBytes) throw fail('INPUT_FORMAT', headerOffset, 'truncated GNU sparse 1.0 map');
  return { segments, mapBytes };
}

/**
 * Validates a sparse map (ascending, non-overlapping, inside the real size, describing exactly the stored
 * bytes) and drops empty segments (GNU tar ends maps with one at the real size).
 */
function checkSegments(
  slots: readonly GnuSparseSlot[],
  realSizeBytes: number,
  storedBytes: number,
  path: string,
  fail: Fail,
  headerOffset: number,
): DataSegment[] {
  if (slots.length > MAX_SPARSE_SEGMENTS) {
    throw fail('INPUT_LIMIT', headerOffset, `sparse map of ${slots.length} segments exceeds the limit of ${MAX_SPARSE_SEGMENTS}`);
  }
  const segments: DataSegment[] = [];
  let end = 0;
  let total = 0;
  for (const { offsetBytes, lengthBytes } of slots) {
    if (offsetBytes < end) {
      throw fail('INPUT_FORMAT', headerOffset, `sparse map of ${displayPath(path)} overlaps or goes backwards at offset ${offsetBytes}`);
    }
    if (offsetBytes + lengthBytes > realSizeBytes) {
      throw fail(
        'INPUT_FORMAT',
        headerOffset,
        `sparse segment ${offsetBytes}+${lengthBytes} of ${displayPath(path)} exceeds its size ${realSizeBytes}`,
      );
    }
    end = offsetBytes + lengthBytes;
    total += lengthBytes;
    if (lengthBytes > 0) segments.push({ offsetBytes, lengthBytes });
  }
  if (total !== storedBytes) {
    throw fail('INPUT_FORMAT', headerOffset, `sparse map of ${displayPath(path)} describes ${total} bytes but ${storedBytes} are stored`);
  }
  return segments;
}
