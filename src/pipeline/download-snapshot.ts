// `amikit download SNAPSHOT_ID -o OUT`: every written block of a completed snapshot, checksum-verified,
// into a sparse raw image of the volume's size (unlisted and all-zero blocks stay holes), temp + rename.
import type { AwsClients } from '../aws/aws-clients.js';
import { SnapshotReader } from '../aws/ebs/snapshot-reader.js';
import type { RetryOptions } from '../aws/retry.js';
import { ZERO_BLOCK } from '../blocks/block.js';
import { ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES, MiB } from '../shared/units.js';
import type { ProgressListener } from './progress-event.js';
import { TempOutput } from './temp-output.js';

export interface DownloadSnapshotOptions {
  snapshotId: string;
  outputPath: string;
  clients: Pick<AwsClients, 'ebs'>;
  /** A fixed number of GetSnapshotBlock calls in flight; default: adaptive from 64. */
  concurrency?: number;
  /** Retry "not found" for this long (a snapshot completed moments ago); default 0. */
  notFoundRetryForMs?: number;
  retry?: Omit<RetryOptions, 'signal' | 'onRetry' | 'data' | 'notFoundRetryableUntilMs'>;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface DownloadSnapshotResult {
  snapshotId: string;
  output: string;
  volumeSizeGiB: number;
  sizeBytes: number;
  /** Blocks ListSnapshotBlocks listed and GetSnapshotBlock returned. */
  blocksRead: number;
  /** Of those, all-zero blocks left as holes. */
  zeroBlocks: number;
  retries: number;
  seconds: number;
}

/**
 * Downloads a snapshot into a sparse raw image.
 * @example await downloadSnapshot({ snapshotId: 'snap-…', outputPath: 'root.img', clients: createAwsClients() });
 */
export async function downloadSnapshot(options: DownloadSnapshotOptions): Promise<DownloadSnapshotResult> {
  const startedMs = performance.now();
  const reader = await SnapshotReader.open(options.clients.ebs, options.snapshotId, {
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.notFoundRetryForMs !== undefined ? { notFoundRetryForMs: options.notFoundRetryForMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const output = await TempOutput.create(options.outputPath);
  let zeroBlocks = 0;
  let blocksDone = 0;
  let lastProgressMs = 0;
  try {
    try {
      await output.handle.truncate(reader.sizeBytes);
    } catch (error) {
      throw ioError('size', options.outputPath, error);
    }
    const totalBytes = reader.sizeBytes;
    await reader.forEachBlock(async (blockIndex, data) => {
      blocksDone++;
      // A listed block that holds only zeros reads the same as a hole, so it stays one.
      if (data.equals(ZERO_BLOCK)) zeroBlocks++;
      else {
        try {
          let done = 0;
          while (done < data.length) {
            const { bytesWritten } = await output.handle.write(data, done, data.length - done, blockIndex * EBS_BLOCK_SIZE_BYTES + done);
            done += bytesWritten;
          }
        } catch (error) {
          throw ioError(`write block ${blockIndex} of`, options.outputPath, error);
        }
      }
      const nowMs = performance.now();
      if (options.onProgress && nowMs - lastProgressMs > 200) {
        lastProgressMs = nowMs;
        const elapsedSec = (nowMs - startedMs) / 1000;
        const doneBytes = blocksDone * EBS_BLOCK_SIZE_BYTES;
        options.onProgress({
          phase: 'download blocks',
          doneBytes,
          totalBytes,
          detail: `${blocksDone} blocks, ${(doneBytes / MiB / Math.max(elapsedSec, 0.001)).toFixed(0)} MiB/s, ${reader.counts.retries} retries`,
        });
      }
    });
    await output.commit();
  } catch (error) {
    await output.discard();
    throw error;
  }
  return {
    snapshotId: options.snapshotId,
    output: options.outputPath,
    volumeSizeGiB: reader.volumeSizeGiB,
    sizeBytes: reader.sizeBytes,
    blocksRead: reader.counts.blocksRead,
    zeroBlocks,
    retries: reader.counts.retries,
    seconds: (performance.now() - startedMs) / 1000,
  };
}
