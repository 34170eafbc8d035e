// Writes a deterministic POSIX pax tar (for `amikit flatten`): ustar headers where values fit, a PAX 'x'
// record otherwise (POSIX.1-2017 pax), xattrs as SCHILY.xattr, sparse files as GNU sparse 1.0 (GNU tar
// manual, "PAX Format, Version 1.0"). Identical input gives byte-identical output.
import type { DataSegment, Timespec } from '../../tree/node.js';
import { AmikitError } from '../../shared/errors.js';
import { displayPath, nameToBytes } from '../../tree/paths.js';
import { aclXattrToText } from './acl-text.js';
import { encodePaxRecord, formatPaxTime } from './pax.js';
import { encodeTarHeader, octalFieldMax, splitUstarPath, TAR_BLOCK_BYTES } from './tar-header.js';
import { TYPEFLAG_OF_TYPE, type TarEntryType } from './tar-entry.js';

/** Where the archive goes: a file, a stream, a hash. Each write is awaited before the next. */
export interface TarWriterSink {
  write(chunk: Buffer): Promise<void>;
}

/** The fields of a member to write (a subset of TarEntry: no offsets, no atime/ctime). */
export interface TarWriterEntry {
  /** Byte string path, written as given (callers pass image-relative paths such as "etc/passwd"). */
  path: string;
  type: Exclude<TarEntryType, 'socket'> | 'socket';
  mode: number;
  uid: number;
  gid: number;
  mtime: Timespec;
  /** Logical size of a file (holes included); ignored for other types. */
  sizeBytes?: number;
  /** Byte string: symlink target or hard-link target path. */
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  xattrs?: ReadonlyMap<string, Buffer>;
  /** Sparse map of a file; its data must then be the segments' bytes, in order. */
  segments?: readonly DataSegment[];
}

const BATCH_BYTES = 1024 * 1024;
const ACL_TEXT_RECORDS: readonly (readonly [string, string])[] = [
  ['system.posix_acl_access', 'SCHILY.acl.access'],
  ['system.posix_acl_default', 'SCHILY.acl.default'],
];
const USTAR_NAME_BYTES = 100;
const MAX_OCTAL_8 = octalFieldMax(8); // mode, uid, gid, devmajor, devminor
const MAX_OCTAL_12 = octalFieldMax(12); // size, mtime

function isAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte >= 0x80) return false;
  return true;
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

function padBytes(length: number): number {
  return (TAR_BLOCK_BYTES - (length % TAR_BLOCK_BYTES)) % TAR_BLOCK_BYTES;
}

/** The last `limit` bytes of a path's final component: a harmless stand-in name for ustar fields. */
function shortName(path: Buffer, prefix: string): Buffer {
  const slash = path.lastIndexOf(0x2f, path.length - 2);
  const base = path.subarray(slash + 1);
  const head = Buffer.from(prefix, 'latin1');
  return Buffer.concat([head, base.subarray(Math.max(0, base.length - (USTAR_NAME_BYTES - head.length)))]);
}

export interface EncodedHeaders {
  /** The 'x' header with its records (if needed) followed by the member's ustar header. */
  headers: Buffer;
  /** Bytes that precede the data in the member's data area (the sparse 1.0 map), block-padded. */
  dataPrefix: Buffer;
  /** Stored data bytes that go into the archive (for sparse files, of the block-aligned segments). */
  storedBytes: number;
  /** The sparse map as archived: the entry's segments padded for GNU tar (see padSparseSegments). */
  archivedSegments?: DataSegment[];
}

/**
 * Pads every segment but the last to a whole number of 512-byte blocks (zeros after its data), merging
 * segments that then touch. GNU tar extracts each sparse segment starting from a fresh archive block, so
 * a segment of another length would shift every later one; the padding leaves the file's content as is.
 * Maps that are already block-granular (GNU tar's own) come out unchanged.
 */
export function padSparseSegments(segments: readonly DataSegment[], sizeBytes: number): DataSegment[] {
  const padded: DataSegment[] = [];
  let current: DataSegment | undefined;
  for (const segment of segments) {
    if (segment.lengthBytes === 0) continue;
    if (current !== undefined) {
      const paddedEnd = Math.min(current.offsetBytes + Math.ceil(current.lengthBytes / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES, sizeBytes);
      if (segment.offsetBytes <= paddedEnd) {
        current.lengthBytes = Math.max(current.offsetBytes + current.lengthBytes, segment.offsetBytes + segment.lengthBytes) - current.offsetBytes;
        continue;
      }
      current.lengthBytes = paddedEnd - current.offsetBytes;
    }
    current = { offsetBytes: segment.offsetBytes, lengthBytes: segment.lengthBytes };
    padded.push(current);
  }
  return padded;
}

/**
 * Encodes the header records of one member. Exposed for tests of the PAX decisions (large sizes) that
 * would otherwise need gigabytes of data.
 */
export function encodeEntryHeaders(entry: TarWriterEntry): EncodedHeaders {
  if (entry.type === 'socket') {
    throw new AmikitError('FS_LIMIT', `tar cannot hold the socket ${displayPath(entry.path)}`, { data: { path: displayPath(entry.path) } });
  }
  let pathBytes = nameToBytes(entry.path);
  if (entry.type === 'dir' && pathBytes.length > 0 && pathBytes[pathBytes.length - 1] !== 0x2f) pathBytes = Buffer.concat([pathBytes, Buffer.from('/')]);
  const linkBytes = entry.type === 'symlink' || entry.type === 'hardlink' ? nameToBytes(entry.linkTarget ?? '') : Buffer.alloc(0);
  const records: Buffer[] = [];
  const sparse = entry.type === 'file' && entry.segments !== undefined;

  // Stored size, and for sparse files the 1.0 map that precedes the data.
  const sizeBytes = entry.type === 'file' ? entry.sizeBytes ?? 0 : 0;
  let storedBytes = sizeBytes;
  let dataPrefix = Buffer.alloc(0);
  let archivedSegments: DataSegment[] | undefined;
  if (sparse) {
    archivedSegments = padSparseSegments(entry.segments!, sizeBytes);
    const segments = [...archivedSegments];
    const last = segments[segments.length - 1];
    // A file that ends in a hole gets a final empty segment at its size, so extractors extend it.
    if (last === undefined || last.offsetBytes + last.lengthBytes < sizeBytes) segments.push({ offsetBytes: sizeBytes, lengthBytes: 0 });
    storedBytes = segments.reduce((total, segment) => total + segment.lengthBytes, 0);
    const lines = [String(segments.length), ...segments.flatMap((segment) => [String(segment.offsetBytes), String(segment.lengthBytes)])];
    const text = Buffer.from(lines.join('\n') + '\n', 'latin1');
    dataPrefix = Buffer.concat([text, Buffer.alloc(padBytes(text.length))]);
  }
  const memberSizeBytes = dataPrefix.length + storedBytes;

  const needsPaxPath = !isAscii(pathBytes) || splitUstarPath(pathBytes) === undefined;
  const needsPaxLink = !isAscii(linkBytes) || linkBytes.length > USTAR_NAME_BYTES;
  // Names go in PAX records as raw bytes; when they are not UTF-8, say so, or extractors would transcode.
  if (((needsPaxPath || sparse) && !isUtf8(pathBytes)) || (needsPaxLink && !isUtf8(linkBytes))) {
    records.push(encodePaxRecord('hdrcharset', 'BINARY'));
  }
  if (needsPaxPath && !sparse) records.push(encodePaxRecord('path', pathBytes));
  if (needsPaxLink) records.push(encodePaxRecord('linkpath', linkBytes));
  if (memberSizeBytes > MAX_OCTAL_12) records.push(encodePaxRecord('size', String(memberSizeBytes)));
  if (entry.uid > MAX_OCTAL_8) records.push(encodePaxRecord('uid', String(entry.uid)));
  if (entry.gid > MAX_OCTAL_8) records.push(encodePaxRecord('gid', String(entry.gid)));
  const { sec, nsec } = entry.mtime;
  if (nsec !== 0 || sec < 0 || sec > MAX_OCTAL_12) records.push(encodePaxRecord('mtime', formatPaxTime(sec, nsec)));
  const devMajor = entry.devMajor ?? 0;
  const devMinor = entry.devMinor ?? 0;
  if (devMajor > MAX_OCTAL_8) records.push(encodePaxRecord('SCHILY.devmajor', String(devMajor)));
  if (devMinor > MAX_OCTAL_8) records.push(encodePaxRecord('SCHILY.devminor', String(devMinor)));
  if (sparse) {
    records.push(encodePaxRecord('GNU.sparse.major', '1'));
    records.push(encodePaxRecord('GNU.sparse.minor', '0'));
    records.push(encodePaxRecord('GNU.sparse.name', pathBytes));
    records.push(encodePaxRecord('GNU.sparse.realsize', String(sizeBytes)));
  }
  // Sorted by name (byte order) so the output does not depend on insertion order.
  for (const name of [...(entry.xattrs?.keys() ?? [])].sort()) {
    records.push(encodePaxRecord(`SCHILY.xattr.${name}`, entry.xattrs!.get(name)!));
  }
  // GNU tar restores ACLs only from its text records, never from the xattr ones: write both, so GNU
  // tar --acls restores them and amikit reads the byte-exact xattr form back.
  for (const [xattr, record] of ACL_TEXT_RECORDS) {
    const value = entry.xattrs?.get(xattr);
    const text = value ? aclXattrToText(value) : undefined;
    if (text !== undefined) records.push(encodePaxRecord(record, Buffer.from(text, 'latin1')));
  }

  const mtimeField = Math.min(Math.max(sec, 0), MAX_OCTAL_12);
  const ustarPath = sparse
    ? splitUstarPath(sparseStandInPath(pathBytes)) ?? { name: shortName(pathBytes, 'GNUSparseFile.0/'), prefix: Buffer.alloc(0) }
    : splitUstarPath(pathBytes) ?? { name: pathBytes.subarray(0, USTAR_NAME_BYTES), prefix: Buffer.alloc(0) };
  const header = encodeTarHeader({
    name: ustarPath.name,
    prefix: ustarPath.prefix,
    mode: entry.mode & 0o7777,
    uid: entry.uid > MAX_OCTAL_8 ? 0 : entry.uid,
    gid: entry.gid > MAX_OCTAL_8 ? 0 : entry.gid,
    sizeBytes: memberSizeBytes > MAX_OCTAL_12 ? 0 : memberSizeBytes,
    mtimeSec: mtimeField,
    typeflag: TYPEFLAG_OF_TYPE[entry.type],
    linkname: linkBytes.length > USTAR_NAME_BYTES ? linkBytes.subarray(0, USTAR_NAME_BYTES) : linkBytes,
    devMajor: devMajor > MAX_OCTAL_8 ? 0 : devMajor,
    devMinor: devMinor > MAX_OCTAL_8 ? 0 : devMinor,
  });
  if (records.length === 0) return { headers: header, dataPrefix, storedBytes, archivedSegments };

  const body = Buffer.concat(records);
  const paxHeader = encodeTarHeader({
    name: shortName(pathBytes, 'PaxHeaders/'),
    mode: 0o644,
    uid: 0,
    gid: 0,
    sizeBytes: body.length,
    mtimeSec: mtimeField,
    typeflag: 'x',
  });
  return {
    headers: Buffer.concat([paxHeader, body, Buffer.alloc(padBytes(body.length)), header]),
    dataPrefix,
    storedBytes,
    archivedSegments,
  };
}

/** GNU tar's stand-in name for a sparse 1.0 member, "<dir>/GNUSparseFile.<n>/<base>", with a fixed n. */
function sparseStandInPath(path: Buffer): Buffer {
  const slash = path.lastIndexOf(0x2f);
  return Buffer.concat([path.subarray(0, slash + 1), Buffer.from('GNUSparseFile.0/'), path.subarray(slash + 1)]);
}

export class TarWriter {
  private readonly sink: TarWriterSink;
  private stage = Buffer.allocUnsafe(BATCH_BYTES);
  private stagedBytes = 0;
  private finished = false;
  /** Bytes handed to the sink so far (the archive size once finished). */
  bytesWritten = 0;

  constructor(sink: TarWriterSink) {
    this.sink = sink;
  }

  /**
   * Appends one member. For files, `data` yields exactly the stored bytes (the segments' bytes for a
   * sparse file); its buffers may be reused by the producer after each chunk is consumed.
   * @throws AmikitError INTERNAL when the data is longer or shorter than the entry says.
   */
  async addEntry(entry: TarWriterEntry, data?: AsyncIterable<Buffer>): Promise<void> {
    if (this.finished) throw new AmikitError('INTERNAL', 'tar writer: addEntry after finish');
    const { headers, dataPrefix, storedBytes, archivedSegments } = encodeEntryHeaders(entry);
    await this.put(headers);
    await this.put(dataPrefix);
    if (entry.type === 'file') {
      const expectedBytes = archivedSegments === undefined ? storedBytes : entry.segments!.reduce((total, s) => total + s.lengthBytes, 0);
      let suppliedBytes = 0;
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of data ?? []) {
          suppliedBytes += chunk.length;
          if (suppliedBytes > expectedBytes) return;
          yield chunk;
        }
      };
      if (archivedSegments === undefined) {
        for await (const chunk of counted()) await this.put(chunk);
      } else {
        await this.putSparseData(entry.segments!, archivedSegments, counted());
      }
      if (suppliedBytes !== expectedBytes) {
        throw new AmikitError('INTERNAL', `tar writer: ${displayPath(entry.path)} supplied ${suppliedBytes} data bytes, expected ${expectedBytes}`, {
          data: { path: displayPath(entry.path) },
        });
      }
    }
    await this.putZeros(padBytes(storedBytes));
  }

  /** Writes the data of the padded segments: the caller's segment bytes with zeros between and after them. */
  private async putSparseData(segments: readonly DataSegment[], archived: readonly DataSegment[], data: AsyncGenerator<Buffer>): Promise<void> {
    let pending: Buffer = Buffer.alloc(0);
    const take = async (length: number): Promise<boolean> => {
      let remaining = length;
      while (remaining > 0) {
        if (pending.length === 0) {
          const next = await data.next();
          if (next.done) return false;
          pending = next.value;
          continue;
        }
        const n = Math.min(remaining, pending.length);
        await this.put(pending.subarray(0, n));
        pending = pending.subarray(n);
        remaining -= n;
      }
      return true;
    };
    let index = 0;
    for (const region of archived) {
      let position = region.offsetBytes;
      const regionEnd = region.offsetBytes + region.lengthBytes;
      while (index < segments.length && segments[index]!.offsetBytes < regionEnd) {
        const segment = segments[index++]!;
        if (segment.lengthBytes === 0) continue;
        await this.putZeros(segment.offsetBytes - position);
        if (!(await take(segment.lengthBytes))) return;
        position = segment.offsetBytes + segment.lengthBytes;
      }
      await this.putZeros(regionEnd - position);
    }
    // Let the caller's count see any surplus.
    if (pending.length === 0) await data.next();
  }

  /** Writes the end-of-archive marker (two zero records) and flushes. */
  async finish(): Promise<void> {
    if (this.finished) return;
    await this.putZeros(2 * TAR_BLOCK_BYTES);
    await this.flush();
    this.finished = true;
  }

  private async put(data: Buffer): Promise<void> {
    for (let at = 0; at < data.length; ) {
      const n = Math.min(data.length - at, BATCH_BYTES - this.stagedBytes);
      data.copy(this.stage, this.stagedBytes, at, at + n);
      this.stagedBytes += n;
      at += n;
      if (this.stagedBytes === BATCH_BYTES) await this.flush();
    }
  }

  private async putZeros(length: number): Promise<void> {
    for (let remaining = length; remaining > 0; ) {
      const n = Math.min(remaining, BATCH_BYTES);
      await this.put(Buffer.alloc(n));
      remaining -= n;
    }
  }

  private async flush(): Promise<void> {
    if (this.stagedBytes === 0) return;
    const out = this.stagedBytes === BATCH_BYTES ? this.stage : this.stage.subarray(0, this.stagedBytes);
    // A fresh stage: the sink may still hold on to the previous one.
    this.stage = Buffer.allocUnsafe(BATCH_BYTES);
    this.stagedBytes = 0;
    await this.sink.write(out);
    this.bytesWritten += out.length;
  }
}
