// `amikit customize`: an existing image's root filesystem tree is customised and written as a new root
// filesystem (same UUID, label and size unless told otherwise) into a new image; every byte outside the
// root filesystem's range — the partition tables, the ESP, other partitions — is carried over unchanged.
import type { BlockSource } from '../blocks/block-source.js';
import { BLOCK_HOLE } from '../blocks/block-plan.js';
import { planExt4 } from '../ext4/plan-ext4.js';
import { writePlannedExt4 } from '../ext4/write-ext4.js';
import type { Ext4Result, WrittenRange } from '../ext4/ext4-options.js';
import { AmikitError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import { writeImageOutput } from '../sinks/image-output.js';
import type { PumpBlocksResult } from '../blocks/block-sink.js';
import type { FileTree } from '../tree/file-tree.js';
import type { ProgressListener } from './progress-event.js';

/** What customize needs of an opened image: its blocks, where the root filesystem lies, and its tree. */
export interface SourceVolume {
  /** Names the input in messages. */
  name: string;
  /** The whole input image (raw or seekable .img.zst), block by block, holes known from its plan. */
  blocks: BlockSource;
  /** The root filesystem's byte range in the image: the whole image for a bare filesystem. */
  root: { offsetBytes: number; sizeBytes: number };
  /** True when the image is a bare filesystem (then a new size resizes the image with it). */
  bareFilesystem: boolean;
  /** The identity the rebuilt filesystem keeps. */
  filesystem: { uuid: string; label: string };
  /** The root filesystem's tree; file contents are read from the input while the new image is written. */
  tree: FileTree;
}

export interface CustomizeImageOptions {
  source: SourceVolume;
  outputPath: string;
  /** The customisation (planned and checked before the input was opened); its result is returned. */
  customize?: (tree: FileTree) => Promise<unknown>;
  /** Filesystem creation time of the rebuilt filesystem (SOURCE_DATE_EPOCH or now, chosen by the caller). */
  timestampSec: number;
  /** A new filesystem size; default: the old one. Within a disk it must fit the partition. */
  sizeBytes?: number;
  /** A new label; default: the old one. */
  label?: string;
  /** A new UUID; default: the old one. */
  uuid?: string;
  /** Seed of the directory hash seed (the UUID is kept): same input + seed + time ⇒ same bytes. */
  seed?: string;
  ext4Compat?: boolean;
  zstdLevel?: number;
  manifestPath?: string;
  onProgress?: ProgressListener;
}

export interface CustomizeImageResult {
  output: string;
  customization?: unknown;
  filesystem: Omit<Ext4Result, 'writtenMap'> & { offsetBytes: number; label: string };
  /** Bytes carried over from the input unchanged (outside the root filesystem; holes not counted). */
  carriedBytes: number;
  blocks?: PumpBlocksResult;
}

export async function customizeImage(options: CustomizeImageOptions): Promise<CustomizeImageResult> {
  const { source } = options;
  const root = source.root;
  const imageSizeBytes = source.blocks.plan.sizeBytes;
  if (root.offsetBytes < 0 || root.offsetBytes + root.sizeBytes > imageSizeBytes) {
    throw new AmikitError('INPUT_FORMAT', `${source.name}: root filesystem range ends at byte ${root.offsetBytes + root.sizeBytes}, beyond the image (${imageSizeBytes} bytes)`, { data: { path: source.name } });
  }
  const fsSizeBytes = options.sizeBytes ?? root.sizeBytes;
  if (!source.bareFilesystem && fsSizeBytes > root.sizeBytes) {
    throw new AmikitError('USAGE', `--size ${fsSizeBytes} does not fit the root partition of ${source.name} (${root.sizeBytes} bytes); grow the partition first`);
  }
  const customization = options.customize ? await options.customize(source.tree) : undefined;
  const label = options.label ?? source.filesystem.label;
  const ext4Options = {
    timestampSec: options.timestampSec,
    sizeBytes: fsSizeBytes,
    label,
    uuid: options.uuid ?? source.filesystem.uuid,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.ext4Compat ? { compat: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  // Planned before the output exists: content that no longer fits fails with nothing written.
  const plan = planExt4(source.tree, ext4Options);
  const outputSizeBytes = source.bareFilesystem ? plan.sizeBytes : imageSizeBytes;
  let carriedBytes = 0;
  const { written, blocks } = await writeImageOutput(
    options.outputPath,
    outputSizeBytes,
    async (output, directHandle) => {
      // Byte-unit ranges over the whole output: what was carried over, then the new filesystem's blocks.
      const map: WrittenRange[] = [];
      if (!source.bareFilesystem) {
        const carried = await carryOutsideRange(source.blocks, root, async (bytes, offsetBytes) => {
          await writeFully(output.handle, bytes, offsetBytes);
        });
        for (const range of carried) {
          map.push({ startBlock: range.offsetBytes, blockCount: range.lengthBytes, meaningfulZeros: true });
          carriedBytes += range.lengthBytes;
        }
      }
      const fs = await writePlannedExt4(plan, { handle: output.handle, offsetBytes: root.offsetBytes, ...(directHandle ? { directHandle } : {}) }, ext4Options);
      for (const range of fs.writtenMap) {
        map.push({
          startBlock: root.offsetBytes + range.startBlock * fs.blockSizeBytes,
          blockCount: range.blockCount * fs.blockSizeBytes,
          meaningfulZeros: range.meaningfulZeros,
        });
      }
      return { fs, writtenMap: map, blockSizeBytes: 1 };
    },
    {
      ...(options.manifestPath !== undefined ? { manifestPath: options.manifestPath } : {}),
      ...(options.zstdLevel !== undefined ? { zstdLevel: options.zstdLevel } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  const { writtenMap: _map, ...filesystem } = written.fs;
  return {
    output: options.outputPath,
    ...(customization !== undefined ? { customization } : {}),
    filesystem: { ...filesystem, offsetBytes: root.offsetBytes, label },
    carriedBytes,
    ...(blocks ? { blocks } : {}),
  };
}

/**
 * Hands every stored byte of `blocks` outside `range` to `write` (all-zero stretches are not written:
 * the output reads as zeros there already) and returns the carried ranges, holes excluded, merged.
 */
export async function carryOutsideRange(
  blocks: BlockSource,
  range: { offsetBytes: number; sizeBytes: number },
  write: (bytes: Buffer, offsetBytes: number) => Promise<void>,
): Promise<Array<{ offsetBytes: number; lengthBytes: number }>> {
  const carried: Array<{ offsetBytes: number; lengthBytes: number }> = [];
  const { sizeBytes, blockCount, states } = blocks.plan;
  const rangeEnd = range.offsetBytes + range.sizeBytes;
  const buffer = Buffer.alloc(EBS_BLOCK_SIZE_BYTES);
  for (let index = 0; index < blockCount; index++) {
    if (states[index] === BLOCK_HOLE) continue;
    const blockStart = index * EBS_BLOCK_SIZE_BYTES;
    const blockEnd = Math.min(sizeBytes, blockStart + EBS_BLOCK_SIZE_BYTES);
    // The parts of this block before and after the root filesystem.
    const pieces: Array<[number, number]> = [];
    if (blockStart < range.offsetBytes) pieces.push([blockStart, Math.min(blockEnd, range.offsetBytes)]);
    if (blockEnd > rangeEnd) pieces.push([Math.max(blockStart, rangeEnd), blockEnd]);
    if (pieces.length === 0) continue;
    await blocks.read(index, buffer, blockEnd - blockStart);
    for (const [start, end] of pieces) {
      const bytes = buffer.subarray(start - blockStart, end - blockStart);
      if (bytes.some((byte) => byte !== 0)) await write(bytes, start);
      const last = carried[carried.length - 1];
      if (last && last.offsetBytes + last.lengthBytes === start) last.lengthBytes += end - start;
      else carried.push({ offsetBytes: start, lengthBytes: end - start });
    }
  }
  return carried;
}

async function writeFully(handle: import('node:fs/promises').FileHandle, bytes: Buffer, offsetBytes: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offsetBytes + done);
    done += bytesWritten;
  }
}
