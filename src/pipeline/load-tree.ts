// The first half of every verb that reads layers: open them (detecting each kind from its content),
// merge them top-down into one tree, and clamp times to SOURCE_DATE_EPOCH.
import { tmpdir } from 'node:os';
import { openLayers } from '../layers/open-layers.js';
import type { Layer } from '../layers/layer.js';
import { TreeLayer } from '../layers/tree-layer.js';
import { mergeLayers } from '../layers/merge-layers.js';
import { AmikitError } from '../shared/errors.js';
import { clampTimes } from '../tree/clamp-times.js';
import type { FileTree } from '../tree/file-tree.js';
import { isImagePath, openImage } from './open-image.js';
import type { ProgressListener } from './progress-event.js';

export interface LoadTreeOptions {
  /** Layer inputs, bottom first (as given on the command line). */
  layers: string[];
  /** OCI platform `os/arch[/variant]` for multi-platform images; default linux/amd64. */
  platform?: string;
  /** Where compressed layers are decompressed to (unlinked temp files); default the OS temp dir. */
  tmpDir?: string;
  /** SOURCE_DATE_EPOCH: every time newer than this is clamped to it. */
  sourceDateEpochSec?: number;
  onWarning?: (message: string) => void;
  onProgress?: ProgressListener;
}

export interface LoadedTree {
  tree: FileTree;
  warnings: string[];
  createdParents: string[];
  /** Releases layer files and spools; content references die with it. */
  close(): Promise<void>;
}

export async function loadTree(options: LoadTreeOptions): Promise<LoadedTree> {
  if (options.layers.length === 0) throw new AmikitError('USAGE', 'at least one --layer is required');
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const opened = await openLayers(options.layers, {
    tmpDir: options.tmpDir ?? tmpdir(),
    onWarning: warn,
    ...(options.platform ? { platform: options.platform } : {}),
    openImage: openImageLayer,
  });
  try {
    const merged = await mergeLayers(opened.layers, { onWarning: (w) => warn(w.message) });
    if (options.sourceDateEpochSec !== undefined) clampTimes(merged.tree, options.sourceDateEpochSec);
    return { tree: merged.tree, warnings, createdParents: merged.createdParents, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** An image input (raw or .img.zst, bare ext4 or GPT disk) as one layer: its root filesystem's tree. */
async function openImageLayer(path: string): Promise<{ layers: Layer[]; close(): Promise<void> } | undefined> {
  if (!(await isImagePath(path))) return undefined;
  const image = await openImage(path);
  try {
    const layer = new TreeLayer(path, await image.readTree(), () => image.close());
    return { layers: [layer], close: () => layer.close() };
  } catch (error) {
    await image.close();
    throw error;
  }
}
