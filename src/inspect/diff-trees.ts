// Compares two trees path by path: what was added, removed, and for paths in both, what changed (type,
// content, mode, owner, xattrs, link target, device numbers; times on request). Contents are compared
// lazily: only when both are regular files of the same size, and then as logical bytes (holes read as
// zeros), stopping at the first difference.
import { compareNames, type FileTree } from '../tree/file-tree.js';
import { displayPath } from '../tree/paths.js';
import type { DirNode, FileNode, Node, Timespec } from '../tree/node.js';

export type DiffAspect = 'type' | 'content' | 'mode' | 'owner' | 'xattrs' | 'target' | 'device' | 'mtime';

export interface DiffEntry {
  /** Display path (UTF-8 where it decodes, \xNN escapes where not). */
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** Kind of the node in A (removed, changed) and in B (added, changed). */
  kindA?: Node['kind'];
  kindB?: Node['kind'];
  /** For changed paths: what differs, in a fixed order. */
  aspects?: DiffAspect[];
  /** Human details per aspect: "size 10 → 12", "mode 0644 → 0600", "xattr user.x changed". */
  details?: string[];
  /** For an added or removed directory: how many entries below it (they are not listed one by one). */
  entriesBelow?: number;
}

export interface DiffTreesOptions {
  /** Also compare modification times (off by default: two builds of the same inputs differ only there). */
  mtime?: boolean;
}

export interface DiffTreesResult {
  entries: DiffEntry[];
  added: number;
  removed: number;
  changed: number;
  /** Regular files whose bytes were read to compare them (the rest were decided by size or identity). */
  contentComparisons: number;
}

/** Walks both trees in byte order of names, parents before children. */
export async function diffTrees(a: FileTree, b: FileTree, options: DiffTreesOptions = {}): Promise<DiffTreesResult> {
  const result: DiffTreesResult = { entries: [], added: 0, removed: 0, changed: 0, contentComparisons: 0 };
  await compareNode('/', a.root, b.root, options, result);
  return result;
}

async function compareNode(path: string, a: Node, b: Node, options: DiffTreesOptions, result: DiffTreesResult): Promise<void> {
  const aspects: DiffAspect[] = [];
  const details: string[] = [];
  if (a.kind !== b.kind) {
    aspects.push('type');
    details.push(`type ${a.kind} → ${b.kind}`);
  } else if (a.kind === 'file' && b.kind === 'file') {
    const detail = await compareContent(a, b, result);
    if (detail) {
      aspects.push('content');
      details.push(detail);
    }
  } else if (a.kind === 'symlink' && b.kind === 'symlink') {
    if (!a.target.equals(b.target)) {
      aspects.push('target');
      details.push(`target ${displayPath(a.target.toString('latin1'))} → ${displayPath(b.target.toString('latin1'))}`);
    }
  } else if ((a.kind === 'char-device' || a.kind === 'block-device') && (b.kind === 'char-device' || b.kind === 'block-device')) {
    if (a.major !== b.major || a.minor !== b.minor) {
      aspects.push('device');
      details.push(`device ${a.major}:${a.minor} → ${b.major}:${b.minor}`);
    }
  }
  if (a.meta.mode !== b.meta.mode) {
    aspects.push('mode');
    details.push(`mode ${octal(a.meta.mode)} → ${octal(b.meta.mode)}`);
  }
  if (a.meta.uid !== b.meta.uid || a.meta.gid !== b.meta.gid) {
    aspects.push('owner');
    details.push(`owner ${a.meta.uid}:${a.meta.gid} → ${b.meta.uid}:${b.meta.gid}`);
  }
  const xattrDetails = compareXattrs(a.meta.xattrs, b.meta.xattrs);
  if (xattrDetails.length > 0) {
    aspects.push('xattrs');
    details.push(...xattrDetails);
  }
  if (options.mtime && !sameTime(a.meta.mtime, b.meta.mtime)) {
    aspects.push('mtime');
    details.push(`mtime ${formatTime(a.meta.mtime)} → ${formatTime(b.meta.mtime)}`);
  }
  if (aspects.length > 0) {
    result.entries.push({ path: displayPath(path), change: 'changed', kindA: a.kind, kindB: b.kind, aspects, details });
    result.changed++;
  }
  // A path that became another type is one change; its old and new subtrees are not compared further.
  if (a.kind === 'dir' && b.kind === 'dir') await compareChildren(path, a, b, options, result);
}

async function compareChildren(path: string, a: DirNode, b: DirNode, options: DiffTreesOptions, result: DiffTreesResult): Promise<void> {
  const names = [...new Set([...a.children.keys(), ...b.children.keys()])].sort(compareNames);
  for (const name of names) {
    const childPath = path === '/' ? `/${name}` : `${path}/${name}`;
    const inA = a.children.get(name);
    const inB = b.children.get(name);
    if (inA && inB) await compareNode(childPath, inA, inB, options, result);
    else if (inA) {
      result.entries.push({ path: displayPath(childPath), change: 'removed', kindA: inA.kind, ...below(inA) });
      result.removed++;
    } else if (inB) {
      result.entries.push({ path: displayPath(childPath), change: 'added', kindB: inB.kind, ...below(inB) });
      result.added++;
    }
  }
}

function below(node: Node): { entriesBelow?: number } {
  if (node.kind !== 'dir') return {};
  let count = 0;
  const stack: DirNode[] = [node];
  while (stack.length > 0) {
    for (const child of stack.pop()!.children.values()) {
      count++;
      if (child.kind === 'dir') stack.push(child);
    }
  }
  return { entriesBelow: count };
}

/** A detail line when the logical contents differ, else undefined. */
async function compareContent(a: FileNode, b: FileNode, result: DiffTreesResult): Promise<string | undefined> {
  if (a.sizeBytes !== b.sizeBytes) return `size ${a.sizeBytes} → ${b.sizeBytes}`;
  if (a === b || a.sizeBytes === 0 || sameStoredBytes(a, b)) return undefined;
  result.contentComparisons++;
  const offset = await firstDifference(a, b);
  return offset === undefined ? undefined : `content differs from byte ${offset}`;
}

/** Both point at the same bytes of the same source with the same layout: equal without reading. */
function sameStoredBytes(a: FileNode, b: FileNode): boolean {
  const ca = a.content;
  const cb = b.content;
  if (!sameSegments(a, b)) return false;
  if (ca.kind === 'source' && cb.kind === 'source') return ca.source === cb.source && ca.offsetBytes === cb.offsetBytes && ca.storedBytes === cb.storedBytes;
  return ca.kind === 'bytes' && cb.kind === 'bytes' && ca.bytes === cb.bytes;
}

function sameSegments(a: FileNode, b: FileNode): boolean {
  const sa = a.segments ?? [{ offsetBytes: 0, lengthBytes: a.sizeBytes }];
  const sb = b.segments ?? [{ offsetBytes: 0, lengthBytes: b.sizeBytes }];
  return sa.length === sb.length && sa.every((s, i) => s.offsetBytes === sb[i]!.offsetBytes && s.lengthBytes === sb[i]!.lengthBytes);
}

/** Reading window per side: bounded memory whatever the file size. */
const COMPARE_CHUNK_BYTES = 1024 * 1024;

/** The first logical offset where the files differ (holes are zeros), or undefined when equal. */
export async function firstDifference(a: FileNode, b: FileNode): Promise<number | undefined> {
  const readerA = logicalReader(a);
  const readerB = logicalReader(b);
  const bufferA = Buffer.alloc(Math.min(COMPARE_CHUNK_BYTES, a.sizeBytes));
  const bufferB = Buffer.alloc(bufferA.length);
  for (let offset = 0; offset < a.sizeBytes; offset += bufferA.length) {
    const length = Math.min(bufferA.length, a.sizeBytes - offset);
    await readerA(bufferA, offset, length);
    await readerB(bufferB, offset, length);
    const viewA = bufferA.subarray(0, length);
    const viewB = bufferB.subarray(0, length);
    if (!viewA.equals(viewB)) {
      for (let i = 0; i < length; i++) if (viewA[i] !== viewB[i]) return offset + i;
    }
  }
  return undefined;
}

/** Reads logical ranges of a file: stored bytes where segments are, zeros in holes. */
function logicalReader(file: FileNode): (target: Buffer, offsetBytes: number, lengthBytes: number) => Promise<void> {
  const segments = file.segments ?? [{ offsetBytes: 0, lengthBytes: file.sizeBytes }];
  // Where each segment's bytes start within the stored bytes.
  const storedStarts: number[] = [];
  let stored = 0;
  for (const segment of segments) {
    storedStarts.push(stored);
    stored += segment.lengthBytes;
  }
  return async (target, offsetBytes, lengthBytes) => {
    target.fill(0, 0, lengthBytes);
    const end = offsetBytes + lengthBytes;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const from = Math.max(offsetBytes, segment.offsetBytes);
      const to = Math.min(end, segment.offsetBytes + segment.lengthBytes);
      if (from >= to) continue;
      const storedOffset = storedStarts[i]! + (from - segment.offsetBytes);
      await readStored(file, target.subarray(from - offsetBytes, to - offsetBytes), storedOffset);
    }
  };
}

async function readStored(file: FileNode, target: Buffer, storedOffset: number): Promise<void> {
  const content = file.content;
  if (content.kind === 'bytes') {
    content.bytes.copy(target, 0, storedOffset, storedOffset + target.length);
    return;
  }
  await content.source.readInto(target, 0, target.length, content.offsetBytes + storedOffset);
}

function compareXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const details: string[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort(compareNames)) {
    const va = a.get(name);
    const vb = b.get(name);
    if (va && !vb) details.push(`xattr ${name} removed`);
    else if (!va && vb) details.push(`xattr ${name} added`);
    else if (va && vb && !va.equals(vb)) details.push(`xattr ${name} changed`);
  }
  return details;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function sameTime(a: Timespec, b: Timespec): boolean {
  return a.sec === b.sec && a.nsec === b.nsec;
}

function formatTime(t: Timespec): string {
  return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
}
