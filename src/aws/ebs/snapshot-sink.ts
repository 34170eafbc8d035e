// The EBS snapshot sink: StartSnapshot, concurrent PutSnapshotBlock of the blocks that must be written,
// CompleteSnapshot with ChangedBlocksCount and the LINEAR aggregate, then a bounded wait for `completed`
// (EBS direct APIs: StartSnapshot, PutSnapshotBlock, CompleteSnapshot; aws-anchors §5.1).
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { EBSClient } from '@aws-sdk/client-ebs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ZERO_BLOCK, ZERO_BLOCK_SHA256, type Block } from '../../blocks/block.js';
import type { BlockSink } from '../../blocks/block-sink.js';
import { AmikitError } from '../../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES, GiB } from '../../shared/units.js';
import { AdaptiveConcurrency, type AdaptiveConcurrencyOptions } from '../adaptive-concurrency.js';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../aws-clients.js';
import { withRetry, type AwsFailure, type RetryOptions } from '../retry.js';
import { ebsSdk } from '../sdk.js';
import { SnapshotBlockWriter, type EbsEndpoint, type HttpSettings } from './snapshot-block-writer.js';
import { deleteSnapshot, waitForSnapshotCompleted, type DeleteSnapshotResult } from './snapshot-state.js';

const { CompleteSnapshotCommand, StartSnapshotCommand } = ebsSdk;

/** The largest snapshot StartSnapshot accepts, in GiB. */
export const MAX_VOLUME_SIZE_GIB = 65536;

/**
 * Minutes a pending snapshot survives without a write: long enough for a slow build to reach its next
 * block, short enough that a snapshot abandoned by a killed process disappears within the hour.
 */
export const DEFAULT_SNAPSHOT_TIMEOUT_MINUTES = 30;

/** How long after StartSnapshot "snapshot not found" means "not visible yet" (the EBS team's ~2 min, coldsnap #43). */
const NOT_VISIBLE_WINDOW_MS = 3 * 60_000;

export interface SnapshotTag {
  key: string;
  value: string;
}

export interface SnapshotSinkOptions {
  ebs: EBSClient;
  ec2: EC2Client;
  /** Image size; the snapshot's VolumeSize is this in GiB, rounded up. */
  sizeBytes: number;
  description?: string;
  tags?: readonly SnapshotTag[];
  encrypted?: boolean;
  /** A KMS key ARN (implies encrypted); default: the account's default EBS key. */
  kmsKeyArn?: string;
  /**
   * The source cannot tell meaningful zeros from free space (a foreign raw image): if the snapshot is
   * encrypted, holes are sent as zeros too, since an unwritten block of an encrypted snapshot reads back
   * as random bytes.
   */
  zerosMeaningUnknown?: boolean;
  /** StartSnapshot idempotency token (default a fresh UUID; a retried StartSnapshot reuses it). */
  clientToken?: string;
  /** StartSnapshot Timeout in minutes, 10–4320 (default DEFAULT_SNAPSHOT_TIMEOUT_MINUTES). */
  timeoutMinutes?: number;
  /** A number fixes the concurrency (`--concurrency N`); otherwise it adapts. */
  concurrency?: number | AdaptiveConcurrencyOptions;
  /** Timeouts for the block requests (default: createAwsClients' defaults); pass AwsClients.http. */
  http?: Partial<HttpSettings> | undefined;
  /** Backoff tuning for every call (tests shorten it). */
  retry?: Omit<RetryOptions, 'signal' | 'onRetry' | 'data' | 'notFoundRetryableUntilMs'>;
  /** Wait for `completed` in finish() (default true), with this deadline (default 30 min). */
  wait?: boolean | { timeoutMs?: number; intervalMs?: number };
  /** Aborts every call in flight (Ctrl-C); the pump then discards the sink. */
  signal?: AbortSignal;
  onProgress?: (progress: SnapshotSinkProgress) => void;
  /** Things the user should know that are not failures (a snapshot that could not be deleted). */
  onWarning?: (message: string) => void;
}

export interface SnapshotSinkProgress {
  phase: 'upload' | 'complete' | 'wait';
  snapshotId: string;
  /** Blocks consumed from the stream (sent, in flight or skipped). */
  blocksDone: number;
  blockCount: number;
  blocksSent: number;
  blocksSkipped: number;
  /** Bytes acknowledged by PutSnapshotBlock. */
  bytesSent: number;
  retries: number;
  throttles: number;
  concurrency: number;
  /** DescribeSnapshots progress while waiting. */
  snapshotProgressPercent?: number;
}

export interface SnapshotUploadResult {
  snapshotId: string;
  volumeSizeGiB: number;
  encrypted: boolean;
  kmsKeyArn: string | undefined;
  blockCount: number;
  /** PutSnapshotBlock calls that succeeded (ChangedBlocksCount). */
  blocksSent: number;
  /** Holes (and unencrypted all-zero blocks) not sent. */
  blocksSkipped: number;
  retries: number;
  throttles: number;
  /** The LINEAR aggregate CompleteSnapshot accepted (base64). */
  aggregateSha256: string;
  concurrency: { final: number; lowest: number; decreases: number; fixed: boolean };
  state: string;
}

const PROGRESS_INTERVAL_MS = 200;

/**
 * One snapshot being written. Create it with SnapshotSink.start, pump blocks into it, then finish()
 * (complete + wait) or discard() (delete).
 * @example
 *   const sink = await SnapshotSink.start({ ebs, ec2, sizeBytes: source.plan.sizeBytes });
 *   await pumpBlocks(source, [sink]); console.log(sink.result.snapshotId);
 */
export class SnapshotSink implements BlockSink {
  readonly needsSha256 = true;
  readonly retainedBlocks: number;
  readonly snapshotId: string;
  readonly volumeSizeGiB: number;
  readonly encrypted: boolean;
  readonly kmsKeyArn: string | undefined;
  readonly timeoutMinutes: number;
  /** What discard() did, once it ran. */
  discardResult: DeleteSnapshotResult | undefined;

  readonly #options: SnapshotSinkOptions;
  readonly #gate: AdaptiveConcurrency;
  readonly #controller = new AbortController();
  readonly #aggregate: Hash = createHash('sha256');
  readonly #tasks = new Set<Promise<void>>();
  readonly #sendHoles: boolean;
  readonly #startedAtMs: number;
  readonly #blockCount: number;
  readonly #writer: SnapshotBlockWriter;
  #failure: unknown;
  #blocksDone = 0;
  #blocksQueued = 0;
  #blocksSent = 0;
  #blocksSkipped = 0;
  #retries = 0;
  #throttles = 0;
  #lastProgressMs = 0;
  #state = 'pending';
  #aggregateBase64: string | undefined;
  #discarded = false;
  #finished = false;

  private constructor(
    options: SnapshotSinkOptions,
    started: { snapshotId: string; volumeSizeGiB: number; kmsKeyArn: string | undefined; timeoutMinutes: number; endpoint: EbsEndpoint },
  ) {
    this.#options = options;
    this.snapshotId = started.snapshotId;
    this.volumeSizeGiB = started.volumeSizeGiB;
    this.kmsKeyArn = started.kmsKeyArn;
    // An account with encryption by default encrypts what was not asked to be: the answer's key says so.
    this.encrypted = options.encrypted === true || options.kmsKeyArn !== undefined || started.kmsKeyArn !== undefined;
    this.timeoutMinutes = started.timeoutMinutes;
    this.#sendHoles = this.encrypted && options.zerosMeaningUnknown === true;
    this.#gate = new AdaptiveConcurrency(typeof options.concurrency === 'number' ? { fixed: options.concurrency } : (options.concurrency ?? {}));
    this.retainedBlocks = this.#gate.max;
    this.#startedAtMs = Date.now();
    this.#blockCount = Math.ceil(options.sizeBytes / EBS_BLOCK_SIZE_BYTES);
    this.#writer = new SnapshotBlockWriter(options.ebs, started.endpoint, {
      requestTimeoutMs: options.http?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: options.http?.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      // One socket per request in flight: a block never waits for a socket.
      maxSockets: options.http?.maxSockets ?? this.#gate.max,
    });
    // Every call in flight listens on this signal: far more than the default 10 listeners, and no leak.
    setMaxListeners(0, this.#controller.signal);
    if (options.signal) {
      const signal = options.signal;
      if (signal.aborted) this.#controller.abort(signal.reason);
      else signal.addEventListener('abort', () => this.#controller.abort(signal.reason), { once: true });
    }
  }

  /** StartSnapshot; the snapshot is pending (and ours to delete) from here on. */
  static async start(options: SnapshotSinkOptions): Promise<SnapshotSink> {
    const volumeSizeGiB = Math.max(1, Math.ceil(options.sizeBytes / GiB));
    if (volumeSizeGiB > MAX_VOLUME_SIZE_GIB) {
      throw new AmikitError('INPUT_LIMIT', `the image is ${volumeSizeGiB} GiB; an EBS snapshot holds at most ${MAX_VOLUME_SIZE_GIB} GiB`, { data: { sizeBytes: options.sizeBytes } });
    }
    const timeoutMinutes = options.timeoutMinutes ?? DEFAULT_SNAPSHOT_TIMEOUT_MINUTES;
    const clientToken = options.clientToken ?? randomUUID();
    const encrypted = options.encrypted === true || options.kmsKeyArn !== undefined;
    const command = new StartSnapshotCommand({
      VolumeSize: volumeSizeGiB,
      Timeout: timeoutMinutes,
      ClientToken: clientToken,
      ...(options.description !== undefined ? { Description: options.description } : {}),
      ...(options.tags && options.tags.length > 0 ? { Tags: options.tags.map((tag) => ({ Key: tag.key, Value: tag.value })) } : {}),
      ...(encrypted ? { Encrypted: true } : {}),
      ...(options.kmsKeyArn !== undefined ? { KmsKeyArn: options.kmsKeyArn } : {}),
    });
    // The endpoint the SDK resolved (region rules, AWS_ENDPOINT_URL_EBS) is where the blocks go too.
    let endpoint: EbsEndpoint | undefined;
    command.middlewareStack.add(
      (next) => (args) => {
        endpoint = endpointOf(args.request);
        return next(args);
      },
      { step: 'build', name: 'amikitCaptureEndpoint' },
    );
    // The same ClientToken makes a retried StartSnapshot return the same snapshot instead of a second one.
    const started = await withRetry('StartSnapshot', (signal) => options.ebs.send(command, signal ? { abortSignal: signal } : {}), {
      ...options.retry,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!started.SnapshotId) throw new AmikitError('AWS', 'StartSnapshot answered without a snapshot id');
    if (!endpoint) throw new AmikitError('INTERNAL', 'the EBS endpoint was not seen on StartSnapshot');
    const sink = new SnapshotSink(options, { snapshotId: started.SnapshotId, volumeSizeGiB, kmsKeyArn: started.KmsKeyArn, timeoutMinutes, endpoint });
    if (started.BlockSize !== undefined && started.BlockSize !== EBS_BLOCK_SIZE_BYTES) {
      await sink.discard();
      throw new AmikitError('AWS', `StartSnapshot answered block size ${started.BlockSize}; amikit writes ${EBS_BLOCK_SIZE_BYTES}-byte blocks`, { data: { snapshotId: started.SnapshotId } });
    }
    return sink;
  }

  async write(block: Block): Promise<void> {
    this.#throwIfFailed();
    this.#blocksDone++;
    let data: Buffer;
    let sha256: Buffer;
    let release: (() => void) | undefined;
    if (block.isHole) {
      if (!this.#sendHoles) return this.#skip();
      data = ZERO_BLOCK;
      sha256 = ZERO_BLOCK_SHA256;
    } else {
      if (!block.sha256 || !block.data) throw new AmikitError('INTERNAL', `block ${block.index} reached the snapshot sink without its data or SHA-256`, { data: { blockIndex: block.index } });
      sha256 = block.sha256;
      // Unwritten blocks of an unencrypted snapshot read back as zeros, so sending zeros buys nothing;
      // on an encrypted one they read back as random bytes, so written zeros must be sent.
      if (!this.encrypted && sha256.equals(ZERO_BLOCK_SHA256)) return this.#skip();
      if (block.data.length < EBS_BLOCK_SIZE_BYTES) {
        // PutSnapshotBlock takes only full blocks: the short last block goes out zero-padded (its SHA-256 already covers the padding).
        data = Buffer.alloc(EBS_BLOCK_SIZE_BYTES);
        block.data.copy(data);
      } else {
        data = block.data;
      }
    }
    // Blocks arrive in ascending index, so the LINEAR aggregate is built here, whatever order the PUTs finish in.
    this.#aggregate.update(sha256);
    this.#blocksQueued++;
    try {
      await this.#gate.acquire(this.#controller.signal);
    } catch (error) {
      this.#throwIfFailed();
      throw error;
    }
    // A sibling may have failed while this block waited for its slot: send nothing more.
    if (this.#failure !== undefined || this.#controller.signal.aborted) {
      this.#gate.release();
      this.#throwIfFailed();
    }
    if (data === block.data && block.retain) release = block.retain();
    const task = this.#put(block.index, data, sha256)
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        release?.();
        this.#gate.release();
        this.#tasks.delete(task);
      });
    this.#tasks.add(task);
  }

  /** Waits for every block, completes the snapshot and (unless told not to) waits until it is completed. */
  async finish(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    this.#writer.close();
    this.#throwIfFailed();
    this.#aggregateBase64 = this.#aggregate.digest('base64');
    this.#report('complete', true);
    const completion = new CompleteSnapshotCommand({
      SnapshotId: this.snapshotId,
      ChangedBlocksCount: this.#blocksSent,
      Checksum: this.#aggregateBase64,
      ChecksumAlgorithm: 'SHA256',
      ChecksumAggregationMethod: 'LINEAR',
    });
    const answer = await withRetry('CompleteSnapshot', (signal) => this.#options.ebs.send(completion, signal ? { abortSignal: signal } : {}), this.#retryOptions({ snapshotId: this.snapshotId }));
    this.#state = answer.Status ?? 'pending';
    const wait = this.#options.wait ?? true;
    if (wait !== false) {
      const waitOptions = wait === true ? {} : wait;
      const outcome = await waitForSnapshotCompleted(this.#options.ec2, this.snapshotId, {
        ...waitOptions,
        signal: this.#controller.signal,
        ...(this.#options.retry ? { retry: this.#options.retry } : {}),
        onPoll: (poll) => this.#report('wait', true, poll.progressPercent),
      });
      this.#state = outcome.state;
    }
    this.#finished = true;
  }

  /** Cancels what is in flight and deletes the snapshot; says so through onWarning when it cannot. Never throws. */
  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    if (!this.#controller.signal.aborted) this.#controller.abort(new AmikitError('INTERNAL', 'upload discarded'));
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    this.#writer.close();
    this.discardResult = await deleteSnapshot(this.#options.ec2, this.snapshotId, { ...this.#options.retry, maxAttempts: 5 });
    if (!this.discardResult.deleted) {
      const fate = this.#state === 'pending' ? `it expires by itself after ${this.timeoutMinutes} minutes without writes` : 'delete it by hand';
      this.#options.onWarning?.(`snapshot ${this.snapshotId} could not be deleted (${this.discardResult.reason}); ${fate}`);
    }
  }

  /** Counts and settings of the upload; complete after finish(). */
  get result(): SnapshotUploadResult {
    if (!this.#finished) throw new AmikitError('INTERNAL', `snapshot ${this.snapshotId} is not finished`);
    return {
      snapshotId: this.snapshotId,
      volumeSizeGiB: this.volumeSizeGiB,
      encrypted: this.encrypted,
      kmsKeyArn: this.kmsKeyArn,
      blockCount: this.#blockCount,
      blocksSent: this.#blocksSent,
      blocksSkipped: this.#blocksSkipped,
      retries: this.#retries,
      throttles: this.#throttles,
      aggregateSha256: this.#aggregateBase64!,
      concurrency: { final: this.#gate.limit, lowest: this.#gate.lowest, decreases: this.#gate.decreases, fixed: this.#gate.isFixed },
      state: this.#state,
    };
  }

  async #put(blockIndex: number, data: Buffer, sha256: Buffer): Promise<void> {
    const progressPercent = Math.min(100, Math.floor((this.#blocksDone / Math.max(1, this.#blockCount)) * 100));
    const epoch = this.#gate.epoch;
    const request = { snapshotId: this.snapshotId, blockIndex, data, sha256, progressPercent };
    await withRetry('PutSnapshotBlock', (signal) => this.#writer.put(signal ? { ...request, signal } : request), {
      ...this.#retryOptions({ snapshotId: this.snapshotId, blockIndex }),
      notFoundRetryableUntilMs: this.#startedAtMs + NOT_VISIBLE_WINDOW_MS,
      // Throttling may go on for a while at the per-snapshot cap; the halving concurrency is what ends it.
      maxAttempts: this.#options.retry?.maxAttempts ?? 12,
      onRetry: (failure: AwsFailure) => {
        this.#retries++;
        if (failure.kind === 'throttle') {
          this.#throttles++;
          this.#gate.onThrottle(epoch);
        }
      },
    });
    this.#gate.onSuccess();
    this.#blocksSent++;
    this.#report('upload', this.#blocksSent === this.#blocksQueued);
  }

  #retryOptions(data: Record<string, unknown>): RetryOptions {
    return {
      ...this.#options.retry,
      signal: this.#controller.signal,
      data,
      onRetry: () => this.#retries++,
    };
  }

  #skip(): void {
    this.#blocksSkipped++;
    this.#report('upload', false);
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    // A sibling's abort error is an echo of the first failure, not a new one.
    this.#failure = this.#controller.signal.aborted && !(error instanceof AmikitError && error.code === 'AWS') ? (this.#controller.signal.reason ?? error) : error;
    if (!this.#controller.signal.aborted) this.#controller.abort(this.#failure);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
  }

  #report(phase: SnapshotSinkProgress['phase'], force: boolean, snapshotProgressPercent?: number): void {
    const listener = this.#options.onProgress;
    if (!listener) return;
    const nowMs = performance.now();
    if (!force && nowMs - this.#lastProgressMs < PROGRESS_INTERVAL_MS) return;
    this.#lastProgressMs = nowMs;
    listener({
      phase,
      snapshotId: this.snapshotId,
      blocksDone: this.#blocksDone,
      blockCount: this.#blockCount,
      blocksSent: this.#blocksSent,
      blocksSkipped: this.#blocksSkipped,
      bytesSent: this.#blocksSent * EBS_BLOCK_SIZE_BYTES,
      retries: this.#retries,
      throttles: this.#throttles,
      concurrency: this.#gate.limit,
      ...(snapshotProgressPercent !== undefined ? { snapshotProgressPercent } : {}),
    });
  }
}

/** The scheme, host, port and path prefix of a built StartSnapshot request (path `<prefix>/snapshots`). */
function endpointOf(request: unknown): EbsEndpoint {
  const { protocol, hostname, port, path } = request as { protocol?: string; hostname?: string; port?: number; path?: string };
  if (!hostname || (protocol !== 'http:' && protocol !== 'https:')) throw new AmikitError('INTERNAL', `cannot use the EBS endpoint ${protocol ?? '?'}//${hostname ?? '?'}`);
  const basePath = (path ?? '').replace(/\/snapshots$/, '').replace(/\/$/, '');
  return { protocol, hostname, port: port ?? undefined, basePath };
}
