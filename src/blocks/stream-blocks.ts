// The block stream: every block of a source in index order, hashed (and compressed when asked) on
// worker threads, with a fixed number of blocks in flight whatever the image size.
import { availableParallelism } from 'node:os';
import type { ProgressListener } from '../pipeline/progress-event.js';
import { AmikitError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import { type Block } from './block.js';
import { BLOCK_HOLE, BLOCK_SCAN, BLOCK_WRITTEN_MEANINGFUL_ZEROS } from './block-plan.js';
import type { BlockSource } from './block-source.js';
import { BlockWorkerPool } from './block-worker-pool.js';

export interface StreamBlocksOptions {
  /** SHA-256 per block (default true); false when no consumer needs it, e.g. a .img.zst without manifest. */
  sha256?: boolean;
  /** zstd level for a per-block frame (Block.zstdFrame); undefined ⇒ no compression. */
  zstdLevel?: number;
  /** Worker threads; default: the machine's cores (hashing and compression dominate). */
  workerCount?: number;
  /**
   * Data blocks in flight; memory is about this × 1 MiB (input and frame slots). Default 4 per
   * worker: enough to keep every worker busy while the main thread reads and writes.
   */
  slotCount?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/** Holes and finished blocks queued ahead of the consumer; bounds memory on huge sparse images. */
const MAX_QUEUED_BLOCKS = 4096;

/**
 * Yields every block of `source` in index order. A yielded block's `data` and `zstdFrame` stay valid
 * only until the next block is requested: consume (write) it before asking for the next.
 * @example
 *   for await (const block of streamBlocks(source)) if (!block.isHole) send(block);
 */
export async function* streamBlocks(source: BlockSource, options: StreamBlocksOptions = {}): AsyncGenerator<Block> {
  const { plan } = source;
  const workerCount = Math.max(1, options.workerCount ?? availableParallelism());
  const slotCount = Math.max(2, options.slotCount ?? workerCount * 4);
  const compress = options.zstdLevel !== undefined;
  const pool = new BlockWorkerPool(workerCount, slotCount, compress ? options.zstdLevel! : null);
  const freeSlots = Array.from({ length: slotCount }, (_, slot) => slotCount - 1 - slot);
  const queue: Promise<{ block: Block; slot: number | undefined }>[] = [];
  let nextIndex = 0;
  let doneBytes = 0;

  const lengthOf = (index: number) => Math.min(EBS_BLOCK_SIZE_BYTES, plan.sizeBytes - index * EBS_BLOCK_SIZE_BYTES);

  const process = async (index: number, slot: number, state: number) => {
    const lengthBytes = lengthOf(index);
    const data = pool.slotData(slot);
    const job = { slot, lengthBytes, zeroScan: state === BLOCK_SCAN, sha256: options.sha256 ?? true, compress };
    let result;
    if (source.fd !== undefined) {
      result = await pool.run({ ...job, fd: source.fd, positionBytes: index * EBS_BLOCK_SIZE_BYTES }).catch((error: unknown) => {
        if (error instanceof AmikitError && error.code === 'IO') {
          throw new AmikitError('IO', `cannot read block ${index} of the image: ${error.message}`, { data: { blockIndex: index }, cause: error });
        }
        throw error;
      });
    } else {
      await source.read(index, data, lengthBytes);
      // SHA-256 and xxh64 cover the block padded to 512 KiB, as PutSnapshotBlock sends it.
      if (lengthBytes < EBS_BLOCK_SIZE_BYTES) data.fill(0, lengthBytes);
      result = await pool.run(job);
    }
    const isHole = result.isZero;
    const block: Block = {
      index,
      lengthBytes,
      isHole,
      hasMeaningfulZeros: state === BLOCK_WRITTEN_MEANINGFUL_ZEROS,
      sha256: result.sha256,
      xxh64: result.xxh64,
      data: isHole ? undefined : data.subarray(0, lengthBytes),
      zstdFrame: !isHole && compress ? pool.slotFrame(slot, result.frameLength) : undefined,
      frameChecksum: !isHole && compress ? result.frameChecksum : undefined,
    };
    return { block, slot };
  };

  try {
    while (true) {
      while (nextIndex < plan.blockCount && queue.length < MAX_QUEUED_BLOCKS) {
        const state = plan.states[nextIndex]!;
        if (state === BLOCK_HOLE) {
          queue.push(Promise.resolve({ block: holeBlock(nextIndex, lengthOf(nextIndex)), slot: undefined }));
        } else {
          const slot = freeSlots.pop();
          if (slot === undefined) break;
          const pending = process(nextIndex, slot, state);
          // Rejections surface when the consumer reaches this block; avoid an unhandled-rejection crash meanwhile.
          pending.catch(() => undefined);
          queue.push(pending);
        }
        nextIndex++;
      }
      const head = queue.shift();
      if (!head) break;
      options.signal?.throwIfAborted();
      const { block, slot } = await head;
      doneBytes += block.lengthBytes;
      yield block;
      if (slot !== undefined) freeSlots.push(slot);
      if (options.onProgress && (block.index % 256 === 255 || nextIndex === plan.blockCount)) {
        options.onProgress({ phase: 'stream blocks', doneBytes, totalBytes: plan.sizeBytes });
      }
    }
  } finally {
    // Let in-flight reads finish before the pool's memory goes away.
    await Promise.allSettled(queue);
    await pool.close();
  }
}

function holeBlock(index: number, lengthBytes: number): Block {
  return {
    index,
    lengthBytes,
    isHole: true,
    hasMeaningfulZeros: false,
    sha256: undefined,
    xxh64: undefined,
    data: undefined,
    zstdFrame: undefined,
    frameChecksum: undefined,
  };
}
