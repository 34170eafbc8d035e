// The merged filesystem model: one node per inode, shared between names for hard links. Every stage
// after the layers (customise, ext4 writer, flatten, inspect) works on these types only.
import { AmikitError } from '../shared/errors.js';
import type { ByteSource } from './byte-source.js';

/** A point in time with nanoseconds. `sec` may be negative (before 1970) or beyond 2038. */
export interface Timespec {
  sec: number;
  /** 0 ≤ nsec < 1e9 */
  nsec: number;
}

export interface NodeMeta {
  /** Permission bits only, including setuid/setgid/sticky (mask 0o7777); the type is `Node.kind`. */
  mode: number;
  uid: number;
  gid: number;
  mtime: Timespec;
  atime: Timespec;
  ctime: Timespec;
  /**
   * Extended attributes by full name ("security.capability", "user.foo", "trusted.x"). Values are
   * byte-exact. POSIX ACLs are "system.posix_acl_access" / "system.posix_acl_default" in the Linux VFS
   * xattr form (version 2), the form getfattr and tar's SCHILY.xattr records carry.
   */
  xattrs: Map<string, Buffer>;
}

/** A logical byte range of a sparse file that holds data; everything outside the segments is a hole. */
export interface DataSegment {
  offsetBytes: number;
  lengthBytes: number;
}

/** Where a regular file's stored bytes come from. Stored bytes = the concatenation of its segments. */
export type Content =
  /** Bytes held in memory: injected or edited files (small by construction). */
  | { kind: 'bytes'; bytes: Buffer }
  /** `storedBytes` bytes at `offsetBytes` of a random-access source (a tar, its decompressed spool, a host file). */
  | { kind: 'source'; source: ByteSource; offsetBytes: number; storedBytes: number };

export interface FileNode {
  kind: 'file';
  meta: NodeMeta;
  /** Logical size (what `stat` reports), holes included. */
  sizeBytes: number;
  content: Content;
  /**
   * Sparse map, ascending and non-overlapping. Absent means dense: one segment [0, sizeBytes).
   * The stored bytes of `content` are exactly the segments' bytes, in order.
   */
  segments?: DataSegment[];
}

export interface DirNode {
  kind: 'dir';
  meta: NodeMeta;
  /** Children by entry name as a byte string (see paths.ts): never "", ".", ".." or containing "/". */
  children: Map<string, Node>;
}

export interface SymlinkNode {
  kind: 'symlink';
  meta: NodeMeta;
  /** Raw target bytes, never resolved by amikit except inside the image by explicit lookups. */
  target: Buffer;
}

export interface DeviceNode {
  kind: 'char-device' | 'block-device';
  meta: NodeMeta;
  major: number;
  minor: number;
}

export interface SpecialNode {
  kind: 'fifo' | 'socket';
  meta: NodeMeta;
}

/** A node of the tree. Non-directory nodes may appear under several names (a hard-link group). */
export type Node = FileNode | DirNode | SymlinkNode | DeviceNode | SpecialNode;
export type NodeKind = Node['kind'];

/** The number of stored bytes of a file (data without holes). */
export function storedBytesOf(file: FileNode): number {
  if (!file.segments) return file.sizeBytes;
  let total = 0;
  for (const segment of file.segments) total += segment.lengthBytes;
  return total;
}

/** See NO_XATTRS. */
class NoXattrs extends Map<string, Buffer> {
  override set(): this {
    throw new AmikitError('INTERNAL', 'NO_XATTRS is shared by every node without xattrs: give the node a map of its own to add one');
  }
  override delete(): boolean {
    throw new AmikitError('INTERNAL', 'NO_XATTRS is shared by every node without xattrs');
  }
  override clear(): void {
    throw new AmikitError('INTERNAL', 'NO_XATTRS is shared by every node without xattrs');
  }
}

/**
 * The xattrs of the nodes a layer reader makes without any, shared: a Map per node was ~2 MB of a
 * Debian rootfs tree. It refuses changes, so code that edits xattrs replaces a node's map instead of
 * changing it in place (see ImageEditor.setXattr).
 */
export const NO_XATTRS: ReadonlyMap<string, Buffer> & Map<string, Buffer> = new NoXattrs();

/** A fresh metadata record; times default to the epoch so nothing depends on the wall clock. */
export function makeMeta(fields: Partial<NodeMeta> = {}): NodeMeta {
  const zero: Timespec = { sec: 0, nsec: 0 };
  return {
    mode: fields.mode ?? 0o755,
    uid: fields.uid ?? 0,
    gid: fields.gid ?? 0,
    mtime: fields.mtime ?? zero,
    atime: fields.atime ?? fields.mtime ?? zero,
    ctime: fields.ctime ?? fields.mtime ?? zero,
    xattrs: fields.xattrs ?? new Map(),
  };
}
