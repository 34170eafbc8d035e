// `amikit inspect`: open one input, read its root filesystem tree, and gather the facts of src/inspect.
// The input is anything the layer stage opens (tar, directory, docker-save, OCI layout); contents are
// read only for the few small configuration files the facts need.
import { inspectTree, type TreeFacts } from '../inspect/inspect-tree.js';
import { loadTree, type LoadTreeOptions } from './load-tree.js';

export interface InspectImageOptions extends Omit<LoadTreeOptions, 'layers'> {
  input: string;
  /** The --sysprep selection to preview (default "defaults"). */
  sysprep?: string;
}

export interface InspectImageResult extends TreeFacts {
  input: string;
  /** Entries, distinct inodes and inodes by kind of the tree. */
  tree: { entries: number; inodes: number; byKind: Record<string, number> };
  warnings: string[];
}

export async function inspectImage(options: InspectImageOptions): Promise<InspectImageResult> {
  const { input, sysprep, ...loadOptions } = options;
  const loaded = await loadTree({ ...loadOptions, layers: [input] });
  try {
    const facts = await inspectTree(loaded.tree, sysprep !== undefined ? { sysprep } : {});
    return { input, tree: loaded.tree.stats(), ...facts, warnings: loaded.warnings };
  } finally {
    await loaded.close();
  }
}
