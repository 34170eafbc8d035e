// A layer whose entries come from an already-read tree (an image's root filesystem): every node once, in
// tree order, later names of a hard-linked node as hard links to its first name; contents stay references.
import type { FileTree } from '../tree/file-tree.js';
import type { Node } from '../tree/node.js';
import { displayPath } from '../tree/paths.js';
import { batchEntries } from './batch-entries.js';
import type { Layer, LayerEntry } from './layer.js';

export class TreeLayer implements Layer {
  constructor(
    readonly name: string,
    private readonly tree: FileTree,
    private readonly onClose: () => Promise<void>,
  ) {}

  entryBatches(): AsyncGenerator<LayerEntry[]> {
    return batchEntries(this.entries());
  }

  /** The entries one at a time, in tree order. */
  async *entries(): AsyncGenerator<LayerEntry> {
    const firstPathOf = new Map<Node, string>();
    for (const { path, node } of this.tree.walk()) {
      // The root comes first as ".", so the image's root mode and owner carry over.
      const rel = path === '/' ? '.' : path.slice(1);
      const base = { path: rel, meta: node.meta, sizeBytes: 0, devMajor: 0, devMinor: 0, where: `${this.name}: ${displayPath(path)}` };
      if (node.kind !== 'dir') {
        const first = firstPathOf.get(node);
        if (first !== undefined) {
          yield { ...base, type: 'hardlink', linkTarget: first };
          continue;
        }
        firstPathOf.set(node, rel);
      }
      switch (node.kind) {
        case 'dir':
        case 'fifo':
        case 'socket':
          yield { ...base, type: node.kind };
          break;
        case 'symlink':
          yield { ...base, type: 'symlink', linkTarget: node.target.toString('latin1') };
          break;
        case 'char-device':
        case 'block-device':
          yield { ...base, type: node.kind, devMajor: node.major, devMinor: node.minor };
          break;
        case 'file':
          yield { ...base, type: 'file', sizeBytes: node.sizeBytes, content: node.content, ...(node.segments ? { segments: node.segments } : {}) };
          break;
      }
    }
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}
