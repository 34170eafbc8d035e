// In-memory layers for merge tests, and a stable text listing of a merged tree to compare with goldens.
import type { Layer, LayerEntry, LayerEntryType } from '../../src/layers/layer.js';
import type { ByteSource } from '../../src/tree/byte-source.js';
import type { FileTree } from '../../src/tree/file-tree.js';
import { makeMeta, type Node, type NodeMeta } from '../../src/tree/node.js';
import { displayPath } from '../../src/tree/paths.js';

export interface EntrySpec {
  path: string;
  type: LayerEntryType;
  meta?: Partial<NodeMeta>;
  text?: string;
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
}

/** A source whose reads are counted: merging must never read file data. */
export class CountingSource implements ByteSource {
  reads = 0;
  readonly sizeBytes: number;
  constructor(readonly name: string, private readonly bytes: Buffer) {
    this.sizeBytes = bytes.length;
  }
  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    this.reads++;
    this.bytes.copy(target, targetOffset, offsetBytes, offsetBytes + lengthBytes);
  }
  async close(): Promise<void> {}
}

export function file(path: string, text: string, meta: Partial<NodeMeta> = {}): EntrySpec {
  return { path, type: 'file', text, meta };
}
export function dir(path: string, meta: Partial<NodeMeta> = {}): EntrySpec {
  return { path, type: 'dir', meta };
}
export function symlink(path: string, target: string): EntrySpec {
  return { path, type: 'symlink', linkTarget: target, meta: { mode: 0o777 } };
}
export function hardlink(path: string, target: string): EntrySpec {
  return { path, type: 'hardlink', linkTarget: target };
}
export function whiteout(path: string): EntrySpec {
  return { path, type: 'file', text: '' };
}

/**
 * A layer whose files' bytes live in one CountingSource, each file named by its text so listings show
 * which layer a file came from.
 */
export function memoryLayer(name: string, specs: EntrySpec[]): Layer & { source: CountingSource } {
  const blob = Buffer.from(specs.map((s) => s.text ?? '').join(''), 'latin1');
  const source = new CountingSource(name, blob);
  let offsetBytes = 0;
  const entries: LayerEntry[] = specs.map((spec, index) => {
    const stored = Buffer.byteLength(spec.text ?? '', 'latin1');
    const entry: LayerEntry = {
      path: spec.path,
      type: spec.type,
      meta: makeMeta({ mode: spec.type === 'dir' ? 0o755 : 0o644, ...spec.meta }),
      sizeBytes: spec.type === 'file' ? stored : 0,
      devMajor: spec.devMajor ?? 0,
      devMinor: spec.devMinor ?? 0,
      where: `${name}: entry ${index}`,
      ...(spec.linkTarget !== undefined ? { linkTarget: spec.linkTarget } : {}),
      ...(spec.type === 'file' ? { content: { kind: 'source' as const, source, offsetBytes, storedBytes: stored } } : {}),
    };
    offsetBytes += stored;
    return entry;
  });
  return {
    name,
    source,
    async *entryBatches() {
      yield entries;
    },
    async close() {},
  };
}

/**
 * One line per path: `path kind mode uid:gid detail [#inode]`. Files show their stored text (read straight
 * from the source so the listing is independent of the merge), hard-link groups share an `#n` tag.
 */
export function listTree(tree: FileTree): string[] {
  const seen = new Map<Node, number>();
  const counts = new Map<Node, number>();
  for (const { node } of tree.walk()) counts.set(node, (counts.get(node) ?? 0) + 1);
  const lines: string[] = [];
  for (const { path, node } of tree.walk()) {
    const m = node.meta;
    let detail = '';
    if (node.kind === 'file') {
      const c = node.content;
      const text =
        c.kind === 'bytes'
          ? c.bytes.toString('latin1')
          : peek(c.source, c.offsetBytes, c.storedBytes);
      detail = ` ${JSON.stringify(text)}`;
    } else if (node.kind === 'symlink') detail = ` -> ${node.target.toString('latin1')}`;
    else if (node.kind === 'char-device' || node.kind === 'block-device') detail = ` ${node.major},${node.minor}`;
    let tag = '';
    if ((counts.get(node) ?? 0) > 1) {
      if (!seen.has(node)) seen.set(node, seen.size + 1);
      tag = ` #${seen.get(node)}`;
    }
    lines.push(`${displayPath(path)} ${node.kind} ${m.mode.toString(8).padStart(4, '0')} ${m.uid}:${m.gid}${detail}${tag}`);
  }
  return lines;
}

function peek(source: ByteSource, offsetBytes: number, lengthBytes: number): string {
  if (source instanceof CountingSource) {
    return (source as unknown as { bytes: Buffer }).bytes.toString('latin1', offsetBytes, offsetBytes + lengthBytes);
  }
  return `<${source.name}@${offsetBytes}+${lengthBytes}>`;
}
