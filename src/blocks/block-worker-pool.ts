// Worker threads that hash (SHA-256, xxh64), zero-scan and zstd-compress blocks held in shared memory
// slots, so both cores work and the main thread only reads, orders and writes.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { nativeAddon } from '../kernels/native-addon.js';
import { AmikitError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';

/** Room for one compressed block: zstd's worst case for 512 KiB is 512 KiB + ~2 KiB, rounded up. */
export const FRAME_SLOT_BYTES = EBS_BLOCK_SIZE_BYTES + 8 * 1024;

/** One block of a job: its slot, its image bytes, and whether a zero block is a hole. */
export interface BlockJobItem {
  slot: number;
  lengthBytes: number;
  /** All-zero ⇒ report isZero and skip hashing and compression. */
  zeroScan: boolean;
  /** Where the worker reads the block from `fd` (with fd set). */
  positionBytes: number;
}

/** A few consecutive blocks per message: fewer thread hand-offs, which matter most on a busy machine. */
export interface BlockJob {
  items: BlockJobItem[];
  /** Read each block from this descriptor in the worker; else the slots are already filled and padded. */
  fd?: number;
  /** Compute SHA-256 (skipped when nothing downstream needs it: a bare .img.zst). */
  sha256: boolean;
  compress: boolean;
}

export interface BlockJobResult {
  isZero: boolean;
  sha256: Buffer | undefined;
  xxh64: bigint | undefined;
  /** Bytes of the zstd frame in the slot's frame area, or -1 without compression. */
  frameLength: number;
  frameChecksum: number;
}

// The worker runs as CommonJS from this string so the same code serves vitest (TypeScript sources)
// and dist/ without a separate build step; module paths arrive resolved in workerData.
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const BLOCK = workerData.blockBytes;
const FRAME = workerData.frameSlotBytes;
const input = Buffer.from(workerData.input);
const frames = Buffer.from(workerData.frames);
const zero = Buffer.alloc(BLOCK);
const { readSync } = require('node:fs');
// The raw binding compresses straight into the shared frame slot: zstd-napi's Compressor would
// allocate (and the kernel zero) a fresh 512 KiB buffer per block.
const cctx = workerData.zstdLevel !== null ? new (require(workerData.zstdBindingPath).CCtx)() : undefined;
// The native addon hashes in place (SHA-256 via Node's OpenSSL, XXH64 in C); xxhash-wasm must first
// copy each block into its own memory. Without the addon, node:crypto and xxhash-wasm are the reference.
const addon = workerData.addonPath ? require(workerData.addonPath) : undefined;
const ready = addon
  ? Promise.resolve({ h64Raw: (data) => addon.hashBlock(data, null) })
  : require(workerData.xxhashPath)();
parentPort.on('message', (job) => {
  ready.then(({ h64Raw }) => {
    const results = job.items.map((item) => processItem(item, job, h64Raw));
    parentPort.postMessage({ id: job.id, results });
  }).catch((error) => parentPort.postMessage({ id: job.id, error: String(error && error.message || error), errno: error && error.code }));
});
function processItem(item, job, h64Raw) {
  const view = input.subarray(item.slot * BLOCK, (item.slot + 1) * BLOCK);
  if (job.fd !== undefined) {
    let done = 0;
    while (done < item.lengthBytes) {
      const n = readSync(job.fd, view, done, item.lengthBytes - done, item.positionBytes + done);
      if (n === 0) break;
      done += n;
    }
    view.fill(0, done);
  }
  const result = { isZero: false, sha256: undefined, xxh64: undefined, frameLength: -1, frameChecksum: 0 };
  if (item.zeroScan && view.equals(zero)) {
    result.isZero = true;
    return result;
  }
  if (addon) {
    const digest = job.sha256 ? Buffer.alloc(32) : null;
    result.xxh64 = addon.hashBlock(view, digest);
    if (digest) result.sha256 = digest;
  } else {
    if (job.sha256) result.sha256 = createHash('sha256').update(view).digest();
    result.xxh64 = h64Raw(view);
  }
  if (job.compress) {
    const data = view.subarray(0, item.lengthBytes);
    result.frameLength = cctx.compress(frames.subarray(item.slot * FRAME, (item.slot + 1) * FRAME), data, workerData.zstdLevel);
    const checksum = item.lengthBytes === BLOCK ? result.xxh64 : h64Raw(data);
    result.frameChecksum = Number(checksum & 0xffffffffn);
  }
  return result;
}
`;

interface PendingJob {
  resolve(results: BlockJobResult[]): void;
  reject(error: unknown): void;
  worker: number;
}

/** A fixed set of workers and `slotCount` shared block slots; memory is slotCount × ~1 MiB whatever the image. */
export class BlockWorkerPool {
  /** slotCount × EBS_BLOCK_SIZE_BYTES of input blocks, shared with the workers. */
  readonly input: Buffer;
  /** slotCount × FRAME_SLOT_BYTES of compressed frames. */
  readonly frames: Buffer;
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 0;
  private failure: unknown;
  private closed = false;

  constructor(
    readonly workerCount: number,
    readonly slotCount: number,
    zstdLevel: number | null,
  ) {
    const require = createRequire(import.meta.url);
    this.input = Buffer.from(new SharedArrayBuffer(slotCount * EBS_BLOCK_SIZE_BYTES));
    this.frames = Buffer.from(new SharedArrayBuffer(zstdLevel === null ? 0 : slotCount * FRAME_SLOT_BYTES));
    const workerData = {
      blockBytes: EBS_BLOCK_SIZE_BYTES,
      frameSlotBytes: FRAME_SLOT_BYTES,
      input: this.input.buffer,
      frames: this.frames.buffer,
      zstdLevel,
      zstdBindingPath: join(dirname(require.resolve('zstd-napi')), '../binding.js'),
      xxhashPath: require.resolve('xxhash-wasm'),
      addonPath: nativeAddon().addon ? nativeAddon().path : undefined,
    };
    for (let index = 0; index < workerCount; index++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.on('message', (message: { id: number; results?: BlockJobResult[]; error?: string; errno?: string }) => this.settle(message));
      worker.on('error', (error) => this.fail(index, error));
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closed) this.fail(index, new Error(`block worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.busy.push(0);
    }
  }

  /** The block bytes of `slot` (EBS_BLOCK_SIZE_BYTES long). */
  slotData(slot: number): Buffer {
    return this.input.subarray(slot * EBS_BLOCK_SIZE_BYTES, (slot + 1) * EBS_BLOCK_SIZE_BYTES);
  }

  slotFrame(slot: number, lengthBytes: number): Buffer {
    return this.frames.subarray(slot * FRAME_SLOT_BYTES, slot * FRAME_SLOT_BYTES + lengthBytes);
  }

  /** Runs `job` on the least busy worker; one result per item. */
  run(job: BlockJob): Promise<BlockJobResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    let worker = 0;
    for (let index = 1; index < this.workers.length; index++) if (this.busy[index]! < this.busy[worker]!) worker = index;
    const id = this.nextId++;
    this.busy[worker]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      this.workers[worker]!.postMessage({ id, ...job });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(message: { id: number; results?: BlockJobResult[]; error?: string; errno?: string }): void {
    const job = this.pending.get(message.id);
    if (!job) return;
    this.pending.delete(message.id);
    this.busy[job.worker]!--;
    if (message.error !== undefined || !message.results) {
      // An errno means the worker's own read of the image failed: an I/O error, not a bug.
      const code = message.errno ? 'IO' : 'INTERNAL';
      job.reject(new AmikitError(code, `block worker failed: ${message.error}`, { data: { errno: message.errno } }));
      return;
    }
    // Structured clone turns the worker's Buffers into plain Uint8Arrays.
    job.resolve(
      message.results.map((result) => ({
        ...result,
        sha256: result.sha256 ? Buffer.from(result.sha256.buffer, result.sha256.byteOffset, result.sha256.byteLength) : undefined,
      })),
    );
  }

  private fail(worker: number, error: unknown): void {
    this.failure ??= new AmikitError('INTERNAL', `block worker ${worker} failed: ${(error as Error).message ?? error}`, { cause: error });
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      job.reject(this.failure);
    }
  }
}
