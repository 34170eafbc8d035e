// `amikit inspect`: open one input — an image (partitions and filesystem facts too) or anything the layer
// stage opens — read its root filesystem tree, and gather the facts of src/inspect. File contents are read
// only for the few small configuration files the facts need.
import type { GptPartition } from '../disk/read-gpt.js';
import type { Ext4Facts } from '../ext4/read-ext4.js';
import { inspectTree, type TreeFacts } from '../inspect/inspect-tree.js';
import type { LoadTreeOptions } from './load-tree.js';
import { openInputTree } from './open-input-tree.js';
import { AmikitError } from '../shared/errors.js';
import type { FileTree } from '../tree/file-tree.js';

export interface ImageFacts {
  format: 'raw' | 'img.zst';
  sizeBytes: number;
  layout: 'filesystem' | 'gpt' | 'mbr';
  /** GPT only: which header was valid, the disk GUID and the partitions. */
  gpt?: { header: 'primary' | 'backup'; primaryProblem?: string; diskGuid: string; partitions: GptPartition[] };
  root: { offsetBytes: number; sizeBytes: number; partition?: number };
  esp?: { partition: number; offsetBytes: number; sizeBytes: number };
  filesystem: Ext4Facts & { usedBytes: number };
}

export interface InspectImageOptions extends Omit<LoadTreeOptions, 'layers'> {
  input: string;
  /** The --sysprep selection to preview (default "defaults"). */
  sysprep?: string;
}

export interface InspectImageResult extends TreeFacts {
  input: string;
  /** Present when the input is an image. */
  image?: ImageFacts;
  /** Entries, distinct inodes and inodes by kind of the tree. */
  tree: { entries: number; inodes: number; byKind: Record<string, number> };
  warnings: string[];
}

export async function inspectImage(options: InspectImageOptions): Promise<InspectImageResult> {
  const { input, sysprep, ...loadOptions } = options;
  const loaded = await openInputTree(input, loadOptions);
  try {
    const image = loaded.image;
    const warnings = [...loaded.warnings];
    let esp: FileTree | undefined;
    if (image?.readEspTree) {
      try {
        esp = await image.readEspTree();
      } catch (error) {
        // A damaged ESP hides its loader entries but not the rest of the report.
        if (!(error instanceof AmikitError) || !error.isBadInput) throw error;
        warnings.push(`boot loader entries on the ESP not read: ${error.message}`);
        options.onWarning?.(warnings[warnings.length - 1]!);
      }
    }
    const facts = await inspectTree(loaded.tree, { ...(sysprep !== undefined ? { sysprep } : {}), ...(esp ? { esp } : {}) });
    const fs = image?.filesystem;
    return {
      input,
      ...(image && fs
        ? {
            image: {
              format: image.format,
              sizeBytes: image.sizeBytes,
              layout: image.layout,
              ...(image.gpt ? { gpt: image.gpt } : {}),
              root: image.root,
              ...(image.esp ? { esp: image.esp } : {}),
              filesystem: { ...fs, usedBytes: (fs.blockCount - fs.freeBlocks) * fs.blockSizeBytes },
            },
          }
        : {}),
      tree: loaded.tree.stats(),
      ...facts,
      warnings,
    };
  } finally {
    await loaded.close();
  }
}
