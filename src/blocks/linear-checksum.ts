// The EBS CompleteSnapshot aggregate, ChecksumAggregationMethod LINEAR: SHA-256 over the raw 32-byte
// digests of the written blocks in ascending index (what coldsnap sends; aws-anchors §1.4, §5.2).
import { createHash, type Hash } from 'node:crypto';
import { AmikitError } from '../shared/errors.js';
import type { Block } from './block.js';

export class LinearChecksum {
  private readonly hash: Hash = createHash('sha256');
  private lastIndex = -1;
  /** Blocks that contributed (ChangedBlocksCount for CompleteSnapshot). */
  writtenBlockCount = 0;
  private isComplete = true;

  /** Adds a block; holes contribute nothing. Blocks must arrive in ascending index. */
  add(block: Block): void {
    if (block.index <= this.lastIndex) {
      throw new AmikitError('INTERNAL', `block ${block.index} arrived after block ${this.lastIndex}`, { data: { blockIndex: block.index } });
    }
    this.lastIndex = block.index;
    if (block.isHole) return;
    this.writtenBlockCount++;
    if (block.sha256) this.hash.update(block.sha256);
    else this.isComplete = false;
  }

  /** base64 of the aggregate, as CompleteSnapshot's Checksum wants it; undefined if blocks came without SHA-256. */
  digestBase64(): string | undefined {
    const digest = this.hash.digest('base64');
    return this.isComplete ? digest : undefined;
  }
}
