// `amikit diff A B`: open both inputs (images or layers), read their trees, and compare them path by path (src/inspect/diff-trees).
import { diffTrees, type DiffTreesOptions, type DiffTreesResult } from '../inspect/diff-trees.js';
import type { LoadTreeOptions } from './load-tree.js';
import { openInputTree } from './open-input-tree.js';

export interface DiffImagesOptions extends Omit<LoadTreeOptions, 'layers'>, DiffTreesOptions {
  inputA: string;
  inputB: string;
}

export interface DiffImagesResult extends DiffTreesResult {
  inputA: string;
  inputB: string;
}

export async function diffImages(options: DiffImagesOptions): Promise<DiffImagesResult> {
  const { inputA, inputB, mtime, ...loadOptions } = options;
  const a = await openInputTree(inputA, loadOptions);
  try {
    const b = await openInputTree(inputB, loadOptions);
    try {
      return { inputA, inputB, ...(await diffTrees(a.tree, b.tree, mtime ? { mtime } : {})) };
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}
