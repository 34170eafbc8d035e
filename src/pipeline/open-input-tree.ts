// The tree of one input of inspect/diff: an image (raw or .img.zst, bare filesystem or GPT disk) read by
// the ext4 reader, or anything --layer accepts, loaded by the layer stage.
import type { FileTree } from '../tree/file-tree.js';
import { loadTree, type LoadTreeOptions } from './load-tree.js';
import { isImagePath, openImage, type OpenedImage } from './open-image.js';

export interface InputTree {
  tree: FileTree;
  /** The opened image, when the input is one (partitions, filesystem facts). */
  image?: OpenedImage;
  warnings: string[];
  close(): Promise<void>;
}

export async function openInputTree(input: string, options: Omit<LoadTreeOptions, 'layers'>): Promise<InputTree> {
  if (await isImagePath(input)) {
    const image = await openImage(input);
    try {
      return { tree: await image.readTree(), image, warnings: [], close: () => image.close() };
    } catch (error) {
      await image.close();
      throw error;
    }
  }
  const loaded = await loadTree({ ...options, layers: [input] });
  return { tree: loaded.tree, warnings: loaded.warnings, close: () => loaded.close() };
}
