// Hands out filesystem blocks from a sorted free list: contiguous first-fit for metadata and the
// journal, and in-order runs for data so files land in the order they are read.
import assert from 'node:assert/strict';

/** A run of blocks. */
export interface BlockRun {
  startBlock: number;
  blockCount: number;
}

/** Signals that an allocation did not fit; the planner turns it into NO_SPACE with the needed size. */
export class OutOfBlocks extends Error {}

export class BlockAllocator {
  /** Free runs, ascending, non-adjacent. `head` skips runs that in-order allocation used up. */
  private readonly free: BlockRun[];
  private head = 0;
  private freeCount: number;

  constructor(blockCount: number, reserved: readonly BlockRun[]) {
    this.free = [];
    let cursor = 0;
    for (const run of [...reserved].sort((a, b) => a.startBlock - b.startBlock)) {
      if (run.startBlock > cursor) this.free.push({ startBlock: cursor, blockCount: run.startBlock - cursor });
      cursor = Math.max(cursor, run.startBlock + run.blockCount);
    }
    if (cursor < blockCount) this.free.push({ startBlock: cursor, blockCount: blockCount - cursor });
    this.freeCount = this.free.reduce((sum, run) => sum + run.blockCount, 0);
  }

  get freeBlockCount(): number {
    return this.freeCount;
  }

  /** The first `blockCount` contiguous free blocks at or after `fromBlock`. */
  allocContiguous(blockCount: number, fromBlock = 0): number {
    assert.ok(blockCount > 0);
    for (let i = this.head; i < this.free.length; i++) {
      const run = this.free[i]!;
      const start = Math.max(run.startBlock, fromBlock);
      const end = run.startBlock + run.blockCount;
      if (end - start < blockCount) continue;
      const pieces: BlockRun[] = [];
      if (start > run.startBlock) pieces.push({ startBlock: run.startBlock, blockCount: start - run.startBlock });
      if (end > start + blockCount) pieces.push({ startBlock: start + blockCount, blockCount: end - start - blockCount });
      this.free.splice(i, 1, ...pieces);
      this.freeCount -= blockCount;
      return start;
    }
    throw new OutOfBlocks(`no ${blockCount} contiguous free blocks`);
  }

  /** The next `blockCount` free blocks in address order, as runs (split where metadata sits). */
  allocRuns(blockCount: number): BlockRun[] {
    const runs: BlockRun[] = [];
    let remaining = blockCount;
    while (remaining > 0) {
      const run = this.free[this.head];
      if (!run) throw new OutOfBlocks(`${remaining} blocks short`);
      const take = Math.min(remaining, run.blockCount);
      runs.push({ startBlock: run.startBlock, blockCount: take });
      run.startBlock += take;
      run.blockCount -= take;
      if (run.blockCount === 0) this.head++;
      remaining -= take;
    }
    this.freeCount -= blockCount;
    return runs;
  }
}
