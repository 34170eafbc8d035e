// Which EBS blocks of an image must be read and which are holes, from the ext4 writer's written map
// (4 KiB filesystem blocks) or from a file's data extents (then the read blocks are zero-scanned).
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import type { WrittenRange } from '../ext4/ext4-options.js';
import type { DataExtent } from '../kernels/sparse-extents.js';
import { blockCountFor } from './block.js';

/** Per-block state codes, one byte per block so a 2 TiB image plans in 4 MiB. */
export const BLOCK_HOLE = 0;
/** Written by the producer: read and hash it even if it is all zeros. */
export const BLOCK_WRITTEN = 1;
/** Written, and its zeros matter (metadata, zero file blocks): sent to an encrypted snapshot. */
export const BLOCK_WRITTEN_MEANINGFUL_ZEROS = 2;
/** Maybe data (a raw image's data extent): read it; all zeros ⇒ a hole. */
export const BLOCK_SCAN = 3;

export interface BlockPlan {
  sizeBytes: number;
  blockCount: number;
  /** One state code per block. */
  states: Uint8Array;
}

/**
 * From the ext4 writer's map: a block is written when any filesystem block inside it was, and its
 * zeros matter when any such range's do.
 * @param offsetBytes where the filesystem starts in the image (0 for a bare filesystem).
 */
export function planFromWrittenMap(sizeBytes: number, map: readonly WrittenRange[], fsBlockSizeBytes: number, offsetBytes = 0): BlockPlan {
  const blockCount = blockCountFor(sizeBytes);
  const states = new Uint8Array(blockCount);
  for (const range of map) {
    const startByte = offsetBytes + range.startBlock * fsBlockSizeBytes;
    const endByte = startByte + range.blockCount * fsBlockSizeBytes;
    const first = Math.floor(startByte / EBS_BLOCK_SIZE_BYTES);
    const last = Math.min(blockCount - 1, Math.floor((endByte - 1) / EBS_BLOCK_SIZE_BYTES));
    const state = range.meaningfulZeros ? BLOCK_WRITTEN_MEANINGFUL_ZEROS : BLOCK_WRITTEN;
    for (let index = first; index <= last; index++) if (states[index]! < state) states[index] = state;
  }
  return { sizeBytes, blockCount, states };
}

/** From a file's data extents: blocks touching data are scanned, all others are holes. */
export function planFromDataExtents(sizeBytes: number, extents: readonly DataExtent[]): BlockPlan {
  const blockCount = blockCountFor(sizeBytes);
  const states = new Uint8Array(blockCount);
  for (const extent of extents) {
    if (extent.lengthBytes <= 0) continue;
    const first = Math.floor(extent.offsetBytes / EBS_BLOCK_SIZE_BYTES);
    const last = Math.min(blockCount - 1, Math.floor((extent.offsetBytes + extent.lengthBytes - 1) / EBS_BLOCK_SIZE_BYTES));
    states.fill(BLOCK_SCAN, first, last + 1);
  }
  return { sizeBytes, blockCount, states };
}
