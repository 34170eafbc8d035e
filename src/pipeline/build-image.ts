// `amikit build`: layers → merged tree → ext4 image, written under a temporary name and renamed when
// complete. Each stage is one call below, in pipeline order.
import { planExt4 } from '../ext4/plan-ext4.js';
import { writePlannedExt4 } from '../ext4/write-ext4.js';
import type { Ext4Result } from '../ext4/ext4-options.js';
import type { FileTree } from '../tree/file-tree.js';
import { loadTree, type LoadTreeOptions } from './load-tree.js';
import { writeImageOutput, type ImageOutputOptions } from '../sinks/image-output.js';
import type { PumpBlocksResult } from '../blocks/block-sink.js';

export interface BuildImageOptions extends LoadTreeOptions {
  outputPath: string;
  /** Filesystem size; default: the content plus sensible free space. */
  sizeBytes?: number;
  label?: string;
  /** Seed for UUID and directory hash seed: with the same inputs and SOURCE_DATE_EPOCH, identical bytes. */
  seed?: string;
  /** Drop metadata_csum and 64bit for guests with e2fsprogs < 1.43. */
  ext4Compat?: boolean;
  /**
   * Edits the merged tree before it is written (the customisation stage: sysprep stripping, then
   * injection). Its result is returned as `customization`.
   */
  customize?: (tree: FileTree) => Promise<unknown>;
  /** Filesystem creation time when SOURCE_DATE_EPOCH is unset (injectable for tests). */
  nowSec?: () => number;
  /** Write the block manifest (per written 512 KiB block: index, SHA-256, xxh64; the LINEAR aggregate) here. */
  manifestPath?: string;
  /** zstd level when outputPath ends in .zst (a seekable zstd image). */
  zstdLevel?: number;
  /** More block sinks for the finished image (publish: the EBS snapshot), see writeImageOutput. */
  extraSinks?: ImageOutputOptions['extraSinks'];
  /** false: outputPath is scratch, removed after streaming (publish without -o). */
  keepImage?: boolean;
  /** Stops the block stream (Ctrl-C). */
  signal?: AbortSignal;
}

export interface BuildImageResult {
  output: string;
  layout: 'fs';
  warnings: string[];
  createdParents: string[];
  customization?: unknown;
  filesystem: Omit<Ext4Result, 'writtenMap'> & { writtenBlocks: number };
  /** The block pipeline's summary, when it ran (.zst output or a manifest). */
  blocks?: PumpBlocksResult;
}

export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const loaded = await loadTree(options);
  try {
    const customization = options.customize ? await options.customize(loaded.tree) : undefined;
    const timestampSec = options.sourceDateEpochSec ?? (options.nowSec ?? (() => Math.floor(Date.now() / 1000)))();
    const ext4Options = {
      timestampSec,
      ...(options.sizeBytes !== undefined ? { sizeBytes: options.sizeBytes } : {}),
      ...(options.label !== undefined ? { label: options.label } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.ext4Compat ? { compat: true } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    // Sizing first: a tree that does not fit fails before any output file exists.
    const plan = planExt4(loaded.tree, ext4Options);
    const { written: result, blocks } = await writeImageOutput(
      options.outputPath,
      plan.sizeBytes,
      (output) => writePlannedExt4(plan, { handle: output.handle, offsetBytes: 0 }, ext4Options),
      {
        ...(options.manifestPath !== undefined ? { manifestPath: options.manifestPath } : {}),
        ...(options.zstdLevel !== undefined ? { zstdLevel: options.zstdLevel } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.extraSinks ? { extraSinks: options.extraSinks } : {}),
        ...(options.keepImage !== undefined ? { keepImage: options.keepImage } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const { writtenMap, ...filesystem } = result;
    const writtenBlocks = writtenMap.reduce((sum, range) => sum + range.blockCount, 0);
    return {
      output: options.outputPath,
      layout: 'fs',
      warnings: loaded.warnings,
      createdParents: loaded.createdParents,
      ...(customization !== undefined ? { customization } : {}),
      filesystem: { ...filesystem, writtenBlocks },
      ...(blocks ? { blocks } : {}),
    };
  } finally {
    await loaded.close();
  }
}
