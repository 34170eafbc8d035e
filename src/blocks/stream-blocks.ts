// The block stream: every block of a source in index order, hashed (and compressed when asked) on
// worker threads, with a fixed number of blocks in flight whatever the image size.
import { availableParallelism } from 'node:os';
import type { ProgressListener } from '../pipeline/progress-event.js';
import { AmikitError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import { type Block } from './block.js';
import { BLOCK_HOLE, BLOCK_SCAN, BLOCK_WRITTEN_MEANINGFUL_ZEROS } from './block-plan.js';
import type { BlockSource } from './block-source.js';
import { BlockWorkerPool, type BlockJobResult } from './block-worker-pool.js';

export interface StreamBlocksOptions {
  /** SHA-256 per block (default true); false when no consumer needs it, e.g. a .img.zst without manifest. */
  sha256?: boolean;
  /** zstd level for a per-block frame (Block.zstdFrame); undefined ⇒ no compression. */
  zstdLevel?: number;
  /** Worker threads; default: the machine's cores (hashing and compression dominate). */
  workerCount?: number;
  /**
   * Data blocks in flight; memory is about this × 1 MiB (input and frame slots). Default two batches
   * per worker: one being hashed while the other is consumed, so no worker waits for the main thread.
   */
  slotCount?: number;
  /**
   * Blocks the consumer may hold past their turn (Block.retain); added to the default slotCount so
   * retained blocks never take the workers' slots. The consumer must release its oldest retained
   * blocks unprompted once it holds this many, or the stream stalls.
   */
  retainedBlocks?: number;
  /** Blocks per worker message (default 4: 2 MiB jobs, few enough hand-offs to ride out a busy scheduler). */
  batchBlocks?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

const DEFAULT_BATCH_BLOCKS = 4;

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
  const batchBlocks = Math.max(1, options.batchBlocks ?? DEFAULT_BATCH_BLOCKS);
  const retainedBlocks = Math.max(0, options.retainedBlocks ?? 0);
  // Never fewer than one batch beyond what the consumer may retain: a sink that releases only when
  // it has gathered enough blocks would otherwise wait for blocks the stream cannot produce.
  const slotCount = Math.max(batchBlocks + retainedBlocks, options.slotCount ?? workerCount * 2 * batchBlocks + retainedBlocks);
  // Blocks read ahead of the consumer: the workers' share of the slots. The retained share is for
  // blocks the consumer holds; reading into it as well would only touch memory (on an upload, 128 MiB
  // of slots while the sink waits for its requests) without making anything faster.
  const readAheadBlocks = slotCount - retainedBlocks;
  const compress = options.zstdLevel !== undefined;
  const pool = new BlockWorkerPool(workerCount, slotCount, compress ? options.zstdLevel! : null);
  const freeSlots = Array.from({ length: slotCount }, (_, slot) => slotCount - 1 - slot);
  /** Per slot: retains not yet released (Block.retain); a retained slot is freed by its last release. */
  const retains = new Uint32Array(slotCount);
  /** Slots whose block was consumed but is still retained by a sink. */
  const yieldedSlots = new Set<number>();
  /** Resolves the loop's wait when every slot was retained and one comes back. */
  let onSlotReleased: (() => void) | undefined;
  const releaseSlot = (slot: number) => {
    freeSlots.push(slot);
    onSlotReleased?.();
    onSlotReleased = undefined;
  };
  const queue: Promise<{ block: Block; slot: number | undefined }>[] = [];
  /** Data blocks in `queue` (read or being read, not yet yielded). */
  let queuedDataBlocks = 0;
  let nextIndex = 0;
  let doneBytes = 0;

  const lengthOf = (index: number) => Math.min(EBS_BLOCK_SIZE_BYTES, plan.sizeBytes - index * EBS_BLOCK_SIZE_BYTES);

  const sha256 = options.sha256 ?? true;

  /** Hashes (and compresses) a run of consecutive non-hole blocks in one worker message. */
  const processBatch = async (batch: { index: number; slot: number; state: number }[]) => {
    const items = batch.map(({ index, slot, state }) => ({
      slot,
      lengthBytes: lengthOf(index),
      zeroScan: state === BLOCK_SCAN,
      positionBytes: index * EBS_BLOCK_SIZE_BYTES,
    }));
    if (source.fd !== undefined) {
      return pool.run({ items, fd: source.fd, sha256, compress }).catch((error: unknown) => {
        if (error instanceof AmikitError && error.code === 'IO') {
          const first = batch[0]!.index;
          const where = batch.length > 1 ? `blocks ${first}–${first + batch.length - 1}` : `block ${first}`;
          throw new AmikitError('IO', `cannot read ${where} of the image: ${error.message}`, { data: { blockIndex: first }, cause: error });
        }
        throw error;
      });
    }
    for (const item of items) {
      const data = pool.slotData(item.slot);
      await source.read(item.positionBytes / EBS_BLOCK_SIZE_BYTES, data, item.lengthBytes);
      // SHA-256 and xxh64 cover the block padded to 512 KiB, as PutSnapshotBlock sends it.
      if (item.lengthBytes < EBS_BLOCK_SIZE_BYTES) data.fill(0, item.lengthBytes);
    }
    return pool.run({ items, sha256, compress });
  };

  const toBlock = (index: number, slot: number, state: number, result: BlockJobResult): Block => {
    const lengthBytes = lengthOf(index);
    const isHole = result.isZero;
    return {
      index,
      lengthBytes,
      isHole,
      hasMeaningfulZeros: state === BLOCK_WRITTEN_MEANINGFUL_ZEROS,
      sha256: result.sha256,
      xxh64: result.xxh64,
      data: isHole ? undefined : pool.slotData(slot).subarray(0, lengthBytes),
      zstdFrame: !isHole && compress ? pool.slotFrame(slot, result.frameLength) : undefined,
      frameChecksum: !isHole && compress ? result.frameChecksum : undefined,
      ...(isHole
        ? {}
        : {
            retain: () => {
              retains[slot]!++;
              let released = false;
              return () => {
                if (released) return;
                released = true;
                if (--retains[slot]! === 0 && yieldedSlots.has(slot)) {
                  yieldedSlots.delete(slot);
                  releaseSlot(slot);
                }
              };
            },
          }),
    };
  };

  /** Non-hole blocks from `index` on, up to a full batch. */
  const runLengthFrom = (index: number) => {
    let length = 0;
    while (length < batchBlocks && index + length < plan.blockCount && plan.states[index + length] !== BLOCK_HOLE) length++;
    return length;
  };

  try {
    while (true) {
      while (nextIndex < plan.blockCount && queue.length < MAX_QUEUED_BLOCKS) {
        const state = plan.states[nextIndex]!;
        if (state === BLOCK_HOLE) {
          queue.push(Promise.resolve({ block: holeBlock(nextIndex, lengthOf(nextIndex)), slot: undefined }));
          nextIndex++;
          continue;
        }
        // Wait for enough free slots to send a whole batch (or the whole run before the next hole).
        const runLength = Math.min(runLengthFrom(nextIndex), MAX_QUEUED_BLOCKS - queue.length);
        if (freeSlots.length < runLength || queuedDataBlocks + runLength > readAheadBlocks) break;
        const batch = Array.from({ length: runLength }, (_, offset) => ({
          index: nextIndex + offset,
          slot: freeSlots.pop()!,
          state: plan.states[nextIndex + offset]!,
        }));
        nextIndex += runLength;
        queuedDataBlocks += runLength;
        const results = processBatch(batch);
        for (const [position, { index, slot, state: blockState }] of batch.entries()) {
          const pending = results.then((all) => ({ block: toBlock(index, slot, blockState, all[position]!), slot }));
          // Rejections surface when the consumer reaches this block; avoid an unhandled-rejection crash meanwhile.
          pending.catch(() => undefined);
          queue.push(pending);
        }
      }
      const head = queue.shift();
      if (!head) {
        if (nextIndex >= plan.blockCount) break;
        // Every slot is retained by a sink's background write: wait for one to come back.
        await new Promise<void>((resolve) => (onSlotReleased = resolve));
        continue;
      }
      options.signal?.throwIfAborted();
      const { block, slot } = await head;
      if (slot !== undefined) queuedDataBlocks--;
      doneBytes += block.lengthBytes;
      yield block;
      if (slot !== undefined) {
        if (retains[slot] === 0) freeSlots.push(slot);
        else yieldedSlots.add(slot);
      }
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
