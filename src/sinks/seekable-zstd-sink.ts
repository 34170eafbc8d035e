// The seekable zstd image sink (`-o disk.img.zst`): one zstd frame per written block, one all-zero
// frame per run of holes, then the seek table (zstd contrib/seekable_format), so `zstd -d` restores
// the raw image and any block can be read alone.
import xxhash from 'xxhash-wasm';
import type { Block } from '../blocks/block.js';
import type { BlockSink } from '../blocks/block-sink.js';
import { TempOutput } from '../pipeline/temp-output.js';
import { AmikitError, ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES, MiB } from '../shared/units.js';
import { encodeSeekTable, zeroFrame, type SeekTableEntry } from './seekable-zstd-format.js';

/** Level 1: the fastest standard level, near `zstd -1` ratio on 512 KiB frames (its window is 512 KiB too). */
export const DEFAULT_ZSTD_LEVEL = 1;

/**
 * A run of holes becomes one frame of at most this many bytes: a sparse 2 TiB image then needs 128 K
 * table entries instead of 4 M, and a reader still materialises at most 16 MiB of zeros per frame.
 */
const HOLE_FRAME_MAX_BYTES = 16 * MiB;

/** Small frames are gathered and written together; 512 KiB frames are written straight from the slot. */
const STAGING_BYTES = 1 * MiB;

type Xxh64Api = Awaited<ReturnType<typeof xxhash>>;

export class SeekableZstdSink implements BlockSink {
  private readonly entries: SeekTableEntry[] = [];
  private readonly staging = Buffer.alloc(STAGING_BYTES);
  private stagedBytes = 0;
  private positionBytes = 0;
  private holeRunBytes = 0;
  private readonly zeroChecksums = new Map<number, number>();

  private constructor(
    private readonly output: TempOutput,
    readonly zstdLevel: number,
    private readonly xxh: Xxh64Api,
  ) {}

  static async create(path: string, options: { zstdLevel?: number } = {}): Promise<SeekableZstdSink> {
    const level = options.zstdLevel ?? DEFAULT_ZSTD_LEVEL;
    if (!Number.isInteger(level) || level < -7 || level > 22) {
      throw new AmikitError('USAGE', `zstd level ${level} is out of range (-7 … 22)`);
    }
    const xxh = await xxhash();
    return new SeekableZstdSink(await TempOutput.create(path), level, xxh);
  }

  async write(block: Block): Promise<void> {
    if (block.isHole) {
      this.holeRunBytes += block.lengthBytes;
      if (this.holeRunBytes >= HOLE_FRAME_MAX_BYTES) await this.flushHoleRun();
      return;
    }
    await this.flushHoleRun();
    if (!block.zstdFrame || block.frameChecksum === undefined) {
      throw new AmikitError('INTERNAL', `block ${block.index} reached the zstd sink without a frame`, { data: { blockIndex: block.index } });
    }
    await this.append(block.zstdFrame);
    this.entries.push({ compressedBytes: block.zstdFrame.length, decompressedBytes: block.lengthBytes, checksum: block.frameChecksum });
  }

  async finish(): Promise<void> {
    await this.flushHoleRun();
    await this.append(encodeSeekTable(this.entries));
    await this.flushStaging();
    await this.output.commit();
  }

  discard(): Promise<void> {
    return this.output.discard();
  }

  private async flushHoleRun(): Promise<void> {
    if (this.holeRunBytes === 0) return;
    const lengthBytes = this.holeRunBytes;
    this.holeRunBytes = 0;
    const frame = zeroFrame(lengthBytes);
    await this.append(frame);
    this.entries.push({ compressedBytes: frame.length, decompressedBytes: lengthBytes, checksum: this.zeroChecksum(lengthBytes) });
  }

  private zeroChecksum(lengthBytes: number): number {
    let checksum = this.zeroChecksums.get(lengthBytes);
    if (checksum === undefined) {
      const hasher = this.xxh.create64();
      const zeros = Buffer.alloc(Math.min(lengthBytes, EBS_BLOCK_SIZE_BYTES));
      for (let done = 0; done < lengthBytes; done += zeros.length) hasher.update(zeros.subarray(0, Math.min(zeros.length, lengthBytes - done)));
      checksum = Number(hasher.digest() & 0xffffffffn);
      this.zeroChecksums.set(lengthBytes, checksum);
    }
    return checksum;
  }

  private async append(bytes: Buffer): Promise<void> {
    if (this.stagedBytes + bytes.length <= STAGING_BYTES) {
      bytes.copy(this.staging, this.stagedBytes);
      this.stagedBytes += bytes.length;
      return;
    }
    await this.flushStaging();
    if (bytes.length <= STAGING_BYTES / 4) {
      bytes.copy(this.staging, 0);
      this.stagedBytes = bytes.length;
    } else {
      await this.writeOut(bytes);
    }
  }

  private async flushStaging(): Promise<void> {
    if (this.stagedBytes === 0) return;
    await this.writeOut(this.staging.subarray(0, this.stagedBytes));
    this.stagedBytes = 0;
  }

  private async writeOut(bytes: Buffer): Promise<void> {
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.output.handle.write(bytes, done, bytes.length - done, this.positionBytes + done);
        done += bytesWritten;
      }
    } catch (error) {
      throw ioError('write', this.output.finalPath, error);
    }
    this.positionBytes += bytes.length;
  }
}
