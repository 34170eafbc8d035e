// `amikit upload IMAGE`: a raw, sparse raw or seekable .img.zst image streamed block by block into a new
// EBS snapshot (holes skipped), completed, and waited for; the snapshot is deleted if anything fails.
import { open } from 'node:fs/promises';
import type { AwsClients } from '../aws/aws-clients.js';
import { SnapshotSink, type SnapshotSinkProgress, type SnapshotTag, type SnapshotUploadResult } from '../aws/ebs/snapshot-sink.js';
import type { RetryOptions } from '../aws/retry.js';
import { pumpBlocks } from '../blocks/block-sink.js';
import { RawImageSource, type BlockSource } from '../blocks/block-source.js';
import { ioError } from '../shared/errors.js';
import { SeekableZstdReader } from '../sinks/seekable-zstd-reader.js';
import type { ProgressListener } from './progress-event.js';
import { uploadProgressEvent } from './upload-progress.js';

export interface UploadImageOptions {
  imagePath: string;
  clients: Pick<AwsClients, 'ebs' | 'ec2'> & Partial<Pick<AwsClients, 'http'>>;
  /** Snapshot description (default: "amikit upload of <file name>"). */
  description?: string;
  tags?: readonly SnapshotTag[];
  encrypted?: boolean;
  kmsKeyArn?: string;
  /** A fixed number of PutSnapshotBlock calls in flight; default: adaptive. */
  concurrency?: number;
  /** StartSnapshot Timeout in minutes. */
  timeoutMinutes?: number;
  /** Wait for `completed` (default true) and how long. */
  wait?: boolean | { timeoutMs?: number; intervalMs?: number };
  retry?: Omit<RetryOptions, 'signal' | 'onRetry' | 'data' | 'notFoundRetryableUntilMs'>;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
}

export interface UploadImageResult extends SnapshotUploadResult {
  image: string;
  format: 'raw' | 'seekable-zstd';
  sizeBytes: number;
  seconds: number;
}

const ZSTD_MAGIC = 0xfd2fb528;

/** Opens a raw image (holes found with SEEK_DATA/SEEK_HOLE and a zero scan) or a seekable .img.zst, told apart by their first bytes. */
export async function openImageSource(imagePath: string): Promise<{ source: BlockSource; format: UploadImageResult['format'] }> {
  let magic = 0;
  try {
    const handle = await open(imagePath, 'r');
    try {
      const head = Buffer.alloc(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      if (bytesRead === 4) magic = head.readUInt32LE(0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError('open image', imagePath, error);
  }
  if (magic === ZSTD_MAGIC) return { source: await SeekableZstdReader.open(imagePath), format: 'seekable-zstd' };
  return { source: await RawImageSource.open(imagePath), format: 'raw' };
}

/**
 * Uploads one image file as a snapshot.
 * @example const { snapshotId } = await uploadImage({ imagePath: 'root.img', clients: createAwsClients() });
 */
export async function uploadImage(options: UploadImageOptions): Promise<UploadImageResult> {
  const startedMs = performance.now();
  const { source, format } = await openImageSource(options.imagePath);
  try {
    const sizeBytes = source.plan.sizeBytes;
    const sink = await SnapshotSink.start({
      ebs: options.clients.ebs,
      ec2: options.clients.ec2,
      http: options.clients.http,
      sizeBytes,
      description: options.description ?? `amikit upload of ${options.imagePath.split('/').pop()}`,
      // A file does not say which of its zeros matter: an encrypted snapshot gets every block.
      zerosMeaningUnknown: true,
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.encrypted ? { encrypted: true } : {}),
      ...(options.kmsKeyArn !== undefined ? { kmsKeyArn: options.kmsKeyArn } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.timeoutMinutes !== undefined ? { timeoutMinutes: options.timeoutMinutes } : {}),
      ...(options.wait !== undefined ? { wait: options.wait } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.onProgress ? { onProgress: progressAdapter(options.onProgress, startedMs) } : {}),
    });
    // The stream's own SHA-256 aggregate is not needed: the sink builds the one it sends.
    await pumpBlocks(source, [sink], { ...(options.signal ? { signal: options.signal } : {}) });
    return { image: options.imagePath, format, sizeBytes, ...sink.result, seconds: (performance.now() - startedMs) / 1000 };
  } finally {
    await source.close();
  }
}

function progressAdapter(listener: ProgressListener, startedMs: number): (progress: SnapshotSinkProgress) => void {
  return (progress) => listener(uploadProgressEvent(progress, (performance.now() - startedMs) / 1000));
}
