// Test harness for the ext4 writer: builds an image file from a FileTree in a temp dir, trees and
// byte sources for fixtures, and the expected TreeFacts of a FileTree for round-trip comparisons.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { writeExt4 } from '../../src/ext4/write-ext4.js';
import type { Ext4Options, Ext4Result } from '../../src/ext4/ext4-options.js';
import type { FileTree } from '../../src/tree/file-tree.js';
import type { FileNode, Node } from '../../src/tree/node.js';
import { readContent } from '../../src/tree/read-content.js';
import type { EntryFacts, TreeFacts } from '../support/tree-facts.js';
import { tempDir } from '../support/tools.js';

export * from './fixture-nodes.js';
import { FIXED_TIME_SEC } from './fixture-nodes.js';

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
