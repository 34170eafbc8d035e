// Reads a completed snapshot through the EBS direct APIs: ListSnapshotBlocks pages (only written blocks
// are listed) and concurrent GetSnapshotBlock, each body checked against its SHA-256 before it is used.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { EBSClient, ListSnapshotBlocksCommandOutput } from '@aws-sdk/client-ebs';
import { ebsSdk } from '../sdk.js';
import { AmikitError } from '../../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../../shared/units.js';
import { AdaptiveConcurrency } from '../adaptive-concurrency.js';
import { withRetry, type AwsFailure, type RetryOptions } from '../retry.js';

const { GetSnapshotBlockCommand, ListSnapshotBlocksCommand } = ebsSdk;

const DEFAULT_DOWNLOAD_CONCURRENCY = 64;

export interface SnapshotReaderOptions {
  /** A number fixes the concurrency; otherwise it starts at 64 and adapts to throttling. */
  concurrency?: number;
  retry?: Omit<RetryOptions, 'signal' | 'onRetry' | 'data' | 'notFoundRetryableUntilMs'>;
  signal?: AbortSignal;
  /**
   * Treat "snapshot not found" as not visible yet for this long (default 0: a wrong id fails at once).
   * A snapshot completed moments ago can still be unknown to ListSnapshotBlocks (coldsnap #141).
   */
  notFoundRetryForMs?: number;
}

export interface SnapshotBlockCounts {
  blocksRead: number;
  retries: number;
  throttles: number;
}

/**
 * One snapshot's listing and blocks.
 * @example
 *   const reader = await SnapshotReader.open(ebs, 'snap-…');
 *   await reader.forEachBlock(async (blockIndex, data) => write(blockIndex, data));
 */
export class SnapshotReader {
  readonly counts: SnapshotBlockCounts = { blocksRead: 0, retries: 0, throttles: 0 };
  readonly #ebs: EBSClient;
  readonly #options: SnapshotReaderOptions;
  readonly #firstPage: ListSnapshotBlocksCommandOutput;
  readonly #openedAtMs: number;

  private constructor(ebs: EBSClient, readonly snapshotId: string, options: SnapshotReaderOptions, firstPage: ListSnapshotBlocksCommandOutput, openedAtMs: number) {
    this.#ebs = ebs;
    this.#options = options;
    this.#firstPage = firstPage;
    this.#openedAtMs = openedAtMs;
  }

  /** Lists the first page, which also tells the volume size. */
  static async open(ebs: EBSClient, snapshotId: string, options: SnapshotReaderOptions = {}): Promise<SnapshotReader> {
    if (!/^snap-[0-9a-f]+$/.test(snapshotId)) throw new AmikitError('USAGE', `not a snapshot id: ${snapshotId} (expected snap-…)`, { data: { snapshotId } });
    const openedAtMs = Date.now();
    const counts = { retries: 0 };
    const firstPage = await listPage(ebs, snapshotId, undefined, options, openedAtMs, counts);
    const blockSize = firstPage.BlockSize ?? EBS_BLOCK_SIZE_BYTES;
    if (blockSize !== EBS_BLOCK_SIZE_BYTES) throw new AmikitError('AWS', `snapshot ${snapshotId} has ${blockSize}-byte blocks; amikit reads ${EBS_BLOCK_SIZE_BYTES}-byte blocks`, { data: { snapshotId } });
    const reader = new SnapshotReader(ebs, snapshotId, options, firstPage, openedAtMs);
    reader.counts.retries += counts.retries;
    return reader;
  }

  get volumeSizeGiB(): number {
    return this.#firstPage.VolumeSize ?? 0;
  }

  get sizeBytes(): number {
    return this.volumeSizeGiB * 1024 * 1024 * 1024;
  }

  /**
   * Calls `handler` for every written block, several at a time and in no particular order, with the
   * verified 512 KiB body. Pages are listed as the previous one drains, so memory stays bounded.
   */
  async forEachBlock(handler: (blockIndex: number, data: Buffer) => Promise<void>): Promise<void> {
    const gate = new AdaptiveConcurrency(this.#options.concurrency !== undefined ? { fixed: this.#options.concurrency } : { initial: DEFAULT_DOWNLOAD_CONCURRENCY, max: 128 });
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const outer = this.#options.signal;
    if (outer) outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
    let failure: unknown;
    const tasks = new Set<Promise<void>>();
    let page: ListSnapshotBlocksCommandOutput | undefined = this.#firstPage;
    try {
      while (page) {
        for (const block of page.Blocks ?? []) {
          if (failure !== undefined) break;
          await gate.acquire(controller.signal);
          const task = this.#getBlock(block.BlockIndex!, block.BlockToken!, gate, controller.signal)
            .then((data) => handler(block.BlockIndex!, data))
            .catch((error: unknown) => {
              if (failure === undefined) {
                failure = error;
                controller.abort(error);
              }
            })
            .finally(() => {
              gate.release();
              tasks.delete(task);
            });
          tasks.add(task);
        }
        if (failure !== undefined || !page.NextToken) break;
        page = await listPage(this.#ebs, this.snapshotId, page.NextToken, { ...this.#options, signal: controller.signal }, this.#openedAtMs, this.counts);
      }
    } catch (error) {
      if (failure === undefined) failure = error;
      controller.abort(error);
    }
    while (tasks.size > 0) await Promise.allSettled([...tasks]);
    if (failure !== undefined) throw failure;
  }

  async #getBlock(blockIndex: number, blockToken: string, gate: AdaptiveConcurrency, signal: AbortSignal): Promise<Buffer> {
    const epoch = gate.epoch;
    const data = await withRetry(
      'GetSnapshotBlock',
      async (callSignal) => {
        const answer = await this.#ebs.send(new GetSnapshotBlockCommand({ SnapshotId: this.snapshotId, BlockIndex: blockIndex, BlockToken: blockToken }), callSignal ? { abortSignal: callSignal } : {});
        // The body is read inside the retried call: a connection cut mid-body is retried like any reset.
        const body = Buffer.from((await answer.BlockData?.transformToByteArray()) ?? []);
        if (answer.ChecksumAlgorithm !== 'SHA256' || !answer.Checksum) {
          throw new AmikitError('AWS', `GetSnapshotBlock (snapshot ${this.snapshotId}, block ${blockIndex}) answered without a SHA-256 checksum`, { data: { snapshotId: this.snapshotId, blockIndex } });
        }
        if (body.length !== EBS_BLOCK_SIZE_BYTES || (answer.DataLength !== undefined && answer.DataLength !== body.length)) {
          throw new AmikitError('AWS', `GetSnapshotBlock (snapshot ${this.snapshotId}, block ${blockIndex}) returned ${body.length} bytes, expected ${EBS_BLOCK_SIZE_BYTES}`, { data: { snapshotId: this.snapshotId, blockIndex } });
        }
        const actual = createHash('sha256').update(body).digest('base64');
        if (actual !== answer.Checksum) {
          throw new AmikitError('AWS', `GetSnapshotBlock (snapshot ${this.snapshotId}, block ${blockIndex}): the body's SHA-256 ${actual} is not the checksum sent, ${answer.Checksum}`, {
            data: { snapshotId: this.snapshotId, blockIndex },
          });
        }
        return body;
      },
      {
        ...this.#options.retry,
        signal,
        data: { snapshotId: this.snapshotId, blockIndex },
        onRetry: (failure: AwsFailure) => {
          this.counts.retries++;
          if (failure.kind === 'throttle') {
            this.counts.throttles++;
            gate.onThrottle(epoch);
          }
        },
      },
    );
    gate.onSuccess();
    this.counts.blocksRead++;
    return data;
  }
}

async function listPage(
  ebs: EBSClient,
  snapshotId: string,
  nextToken: string | undefined,
  options: SnapshotReaderOptions,
  openedAtMs: number,
  counts: { retries: number },
): Promise<ListSnapshotBlocksCommandOutput> {
  const command = new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 10000, ...(nextToken ? { NextToken: nextToken } : {}) });
  return withRetry('ListSnapshotBlocks', (signal) => ebs.send(command, signal ? { abortSignal: signal } : {}), {
    ...options.retry,
    ...(options.signal ? { signal: options.signal } : {}),
    // Only the first listing may meet the read-after-complete lag; a snapshot that vanishes later is gone.
    ...(nextToken === undefined && options.notFoundRetryForMs ? { notFoundRetryableUntilMs: openedAtMs + options.notFoundRetryForMs } : {}),
    data: { snapshotId },
    onRetry: () => counts.retries++,
  });
}
