// Building blocks for test trees, free of vitest so benchmarks and scripts can use them: metadata,
// in-memory files, a deterministic pattern ByteSource for huge files, and path-keyed tree assembly.
import type { ByteSource } from '../../src/tree/byte-source.js';
import { FileTree } from '../../src/tree/file-tree.js';
import { makeMeta, type FileNode, type Node, type NodeMeta } from '../../src/tree/node.js';

export const FIXED_TIME_SEC = 1_700_000_000;

export function meta(fields: Partial<NodeMeta> = {}): NodeMeta {
  const t = { sec: FIXED_TIME_SEC - 1000, nsec: 123_456_789 };
  return makeMeta({ mode: 0o644, mtime: t, atime: t, ctime: t, ...fields });
}

export function bytesFile(bytes: Buffer, fields: Partial<NodeMeta> = {}): FileNode {
  return { kind: 'file', meta: meta(fields), sizeBytes: bytes.length, content: { kind: 'bytes', bytes } };
}

/** Deterministic non-repeating bytes: byte i of the stream depends on i and the seed only. */
export function patternBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  fillPattern(out, 0, length, 0, seed);
  return out;
}

function fillPattern(target: Buffer, at: number, length: number, offset: number, seed: number): void {
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    const block = Math.floor(n / 4096);
    target[at + i] = (n * 31 + block * 7 + seed * 13 + (n >>> 12)) & 0xff || 1;
  }
}

/** A large virtual file whose bytes are computed on demand (never held in memory). */
export class PatternSource implements ByteSource {
  readonly name: string;
  reads = 0;
  constructor(readonly sizeBytes: number, private readonly seed = 1) {
    this.name = `pattern:${seed}`;
  }
  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    this.reads++;
    if (offsetBytes + lengthBytes > this.sizeBytes) throw new Error('read past end');
    fillPattern(target, targetOffset, lengthBytes, offsetBytes, this.seed);
  }
  async close(): Promise<void> {}
}

/** Places nodes at paths, creating parent directories with `meta()` times. */
export function treeOf(entries: Record<string, Node>, rootMeta?: NodeMeta): FileTree {
  const tree = new FileTree({ kind: 'dir', meta: rootMeta ?? meta({ mode: 0o755 }), children: new Map() });
  for (const [path, node] of Object.entries(entries)) {
    const parent = path.split('/').slice(0, -1).join('/') || '/';
    tree.mkdirp(parent, () => meta({ mode: 0o755 }));
    tree.set(path, node);
  }
  return tree;
}

