// Test support for operations: build an in-memory tree from a compact spec, run one operation through the
// real driver, snapshot the tree, and check idempotence (a second run changes nothing).
import { expect } from 'vitest';
import { FileTree } from '../tree/file-tree.js';
import { makeMeta, type Node } from '../tree/node.js';
import { runCustomization, type CustomizationReport } from './customize-tree.js';
import type { CustomizeOperation, OptionValues } from './operation.js';

/** A file's text, or an entry: `{ dir: true }`, `{ link: target }`, or `{ text, mode, uid, gid }`. */
export type EntrySpec = string | { text?: string; dir?: true; link?: string; mode?: number; uid?: number; gid?: number; xattrs?: Record<string, string> };

/** Builds a tree; parents are created root 0755; times are 1000 s so created inodes are recognisable. */
export function makeTree(spec: Record<string, EntrySpec>): FileTree {
  const tree = new FileTree();
  const time = { sec: 1000, nsec: 0 };
  for (const [path, entry] of Object.entries(spec)) {
    const e = typeof entry === 'string' ? { text: entry } : entry;
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    tree.mkdirp(parent, () => makeMeta({ mode: 0o755, mtime: time }));
    const xattrs = new Map(Object.entries(e.xattrs ?? {}).map(([k, v]) => [k, Buffer.from(v, 'latin1')]));
    const meta = makeMeta({ mode: e.mode ?? (e.dir ? 0o755 : e.link !== undefined ? 0o777 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: time, xattrs });
    let node: Node;
    if (e.dir) node = { kind: 'dir', meta, children: (tree.lookup(path) as { children?: Map<string, Node> } | undefined)?.children ?? new Map() };
    else if (e.link !== undefined) node = { kind: 'symlink', meta, target: Buffer.from(e.link, 'latin1') };
    else {
      const bytes = Buffer.from(e.text ?? '', 'latin1');
      node = { kind: 'file', meta, sizeBytes: bytes.length, content: { kind: 'bytes', bytes } };
    }
    tree.set(path, node);
  }
  return tree;
}

export interface RunOptions {
  hostFiles?: Record<string, string>;
  /** Modes of host files (default 0644 for any file in `hostFiles`). */
  hostModes?: Record<string, number>;
  timestampSec?: number;
}

/** Runs `operations` (in the given order) through the driver; host files come from `hostFiles`. */
export async function runOps(operations: CustomizeOperation[], tree: FileTree, values: OptionValues = {}, options: RunOptions = {}): Promise<CustomizationReport> {
  return runCustomization(tree, { operations, values }, {
    timestampSec: options.timestampSec ?? 2000,
    readHostFile: async (path) => {
      const text = options.hostFiles?.[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return Buffer.from(text, 'utf8');
    },
    statHostFile: async (path) => {
      if (options.hostFiles?.[path] === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: 'ENOENT' });
      return { mode: 0o100000 | (options.hostModes?.[path] ?? 0o644) };
    },
  });
}

/** Paths changed by a report, as "action path" strings. */
export function changes(report: CustomizationReport): string[] {
  return report.operations.flatMap((op) => op.changes.map((c) => `${c.action} ${c.path}`));
}

/** One line per entry: path, kind, mode, owner, content or target, xattrs. */
export function snapshot(tree: FileTree): string[] {
  const lines: string[] = [];
  for (const { path, node } of tree.walk()) {
    let body = '';
    if (node.kind === 'file') body = node.content.kind === 'bytes' ? JSON.stringify(node.content.bytes.toString('latin1')) : `<${node.sizeBytes} bytes>`;
    if (node.kind === 'symlink') body = `-> ${node.target.toString('latin1')}`;
    const xattrs = [...node.meta.xattrs].map(([k, v]) => `${k}=${JSON.stringify(v.toString('latin1'))}`).join(',');
    lines.push(`${path} ${node.kind} ${node.meta.mode.toString(8)} ${node.meta.uid}:${node.meta.gid} ${body} ${xattrs}`.trimEnd());
  }
  return lines;
}

/** The text of the regular file at `path`, or undefined. */
export function textAt(tree: FileTree, path: string): string | undefined {
  const node = tree.lookup(path);
  if (node?.kind !== 'file' || node.content.kind !== 'bytes') return undefined;
  return node.content.bytes.toString('latin1');
}

/** Runs the operation again and asserts that it reports no change and leaves the tree identical. */
export async function expectIdempotent(op: CustomizeOperation, tree: FileTree, values: OptionValues = {}, options: RunOptions = {}): Promise<void> {
  const before = snapshot(tree);
  const report = await runOps([op], tree, values, options);
  expect(changes(report)).toEqual([]);
  expect(snapshot(tree)).toEqual(before);
}
