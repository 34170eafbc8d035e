// Test harness for the ext4 writer: builds an image file from a FileTree in a temp dir, trees and
// byte sources for fixtures, and the expected TreeFacts of a FileTree for round-trip comparisons.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { writeExt4 } from '../../src/ext4/write-ext4.js';
import type { Ext4Options, Ext4Result } from '../../src/ext4/ext4-options.js';
import type { ByteSource } from '../../src/tree/byte-source.js';
import { FileTree } from '../../src/tree/file-tree.js';
import { makeMeta, type FileNode, type Node, type NodeMeta } from '../../src/tree/node.js';
import { readContent } from '../../src/tree/read-content.js';
import type { EntryFacts, TreeFacts } from '../support/tree-facts.js';
import { tempDir } from '../support/tools.js';

export const FIXED_TIME_SEC = 1_700_000_000;

export interface BuiltImage {
  path: string;
  result: Ext4Result;
}

/** Writes `tree` to a fresh sparse image file in a temp dir (removed when the test finishes). */
export async function buildImage(tree: FileTree, options: Partial<Ext4Options> = {}, dir?: string): Promise<BuiltImage> {
  const where = dir ?? (await tempDir('ext4')).path;
  const path = join(where, `image-${Math.random().toString(36).slice(2)}.img`);
  const handle = await open(path, 'w+');
  try {
    if (options.sizeBytes) await handle.truncate(options.sizeBytes);
    const result = await writeExt4(tree, { handle, offsetBytes: 0 }, { timestampSec: FIXED_TIME_SEC, seed: 'test-seed', ...options });
    await handle.truncate(result.sizeBytes);
    return { path, result };
  } finally {
    await handle.close();
  }
}

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

/** The facts a correct image of `tree` must show (TreeFacts model of test/support/tree-facts.ts). */
export async function expectedFacts(tree: FileTree): Promise<TreeFacts> {
  const facts: TreeFacts = new Map();
  const names = new Map<Node, string[]>();
  for (const { path, node } of tree.walk()) {
    if (node.kind !== 'dir') names.set(node, [...(names.get(node) ?? []), path]);
  }
  for (const { path, node } of tree.walk()) {
    const m = node.meta;
    const entry: EntryFacts = {
      path,
      type: node.kind,
      mode: m.mode & 0o7777,
      uid: m.uid,
      gid: m.gid,
      size: node.kind === 'file' ? node.sizeBytes : node.kind === 'symlink' ? node.target.length : 0,
      mtimeNs: BigInt(m.mtime.sec) * 1_000_000_000n + BigInt(m.mtime.nsec),
      xattrs: Object.fromEntries([...m.xattrs].map(([k, v]) => [k, v.toString('hex')])),
    };
    if (node.kind === 'symlink') entry.linkTarget = node.target.toString('latin1');
    if (node.kind === 'char-device' || node.kind === 'block-device') {
      entry.major = node.major;
      entry.minor = node.minor;
    }
    if (node.kind === 'file') entry.sha256 = await logicalSha256(node);
    const group = names.get(node);
    if (group && group.length > 1) entry.hardLinkGroup = [...group].sort().join('\n');
    facts.set(path, entry);
  }
  return facts;
}

/** SHA-256 of a file's logical content, holes as zeros. */
export async function logicalSha256(file: FileNode): Promise<string> {
  const hash = createHash('sha256');
  const segments = file.segments ?? [{ offsetBytes: 0, lengthBytes: file.sizeBytes }];
  let at = 0;
  const zeros = Buffer.alloc(1 << 20);
  const pad = (until: number): void => {
    while (at < until) {
      const n = Math.min(zeros.length, until - at);
      hash.update(zeros.subarray(0, n));
      at += n;
    }
  };
  const chunks = readContent(file);
  let pending: Buffer = Buffer.alloc(0);
  for (const segment of segments) {
    pad(segment.offsetBytes);
    let need = segment.lengthBytes;
    while (need > 0) {
      if (pending.length === 0) {
        const next = await chunks.next();
        if (next.done) throw new Error('content shorter than segments');
        pending = Buffer.from(next.value);
      }
      const n = Math.min(need, pending.length);
      hash.update(pending.subarray(0, n));
      pending = pending.subarray(n);
      need -= n;
      at += n;
    }
  }
  pad(file.sizeBytes);
  return hash.digest('hex');
}
