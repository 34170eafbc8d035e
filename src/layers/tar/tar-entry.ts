// The decoded form of one tar member as the layer reader yields it: metadata plus where its stored
// bytes sit in the source, so data is read later, by offset, only for entries that survive the merge.
import type { DataSegment, Timespec } from '../../tree/node.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char-device' | 'block-device' | 'dir' | 'fifo' | 'socket';

export interface TarEntry {
  /** Byte string, raw as in the archive (GNU.sparse.name > PAX path > GNU 'L' > prefix + name); not normalised. */
  path: string;
  type: TarEntryType;
  /** Permission bits & 0o7777 (setuid/setgid/sticky kept). */
  mode: number;
  uid: number;
  gid: number;
  mtime: Timespec;
  atime?: Timespec;
  ctime?: Timespec;
  /** Logical size (a sparse file's real size); 0 for everything but files. */
  sizeBytes: number;
  /** Byte string: the symlink target, or the path a hard link points to (PAX linkpath > GNU 'K' > linkname). */
  linkTarget?: string;
  devMajor: number;
  devMinor: number;
  /** Full xattr names (byte strings) to raw values; POSIX ACLs in the Linux xattr form. */
  xattrs: Map<string, Buffer>;
  /** Where the stored data starts in the source (after a PAX 1.0 sparse map). */
  dataOffsetBytes: number;
  /** Stored data length: sizeBytes for dense files, the sum of segment lengths for sparse ones. */
  storedBytes: number;
  /** Sparse map (ascending, non-overlapping, non-empty ranges with data); absent for dense files. */
  segments?: DataSegment[];
  /** Offset of this entry's first header record (its first PAX/GNU extension header, if any). */
  headerOffsetBytes: number;
}

/** The ustar typeflag of each entry type a tar can hold (no tar format has one for sockets). */
export const TYPEFLAG_OF_TYPE: Readonly<Record<Exclude<TarEntryType, 'socket'>, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  dir: '5',
  fifo: '6',
};
