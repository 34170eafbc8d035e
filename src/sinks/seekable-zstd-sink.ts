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

/**
 * Frames are gathered straight from their worker slots (Block.retain, no copy) and written with one
 * writev per this many frames, in the background while the next ones gather; at most one writev is
 * under way, so the sink holds at most 2 × GATHER_FRAMES blocks. Measured on 1 GiB of random data
 * (2 cores, tmpfs): one awaited 512 KiB write per frame held the main thread in write() for ~75% of
 * the run while the workers waited for free slots; copying into a staging buffer instead cost more
 * than it saved (V8 copies out of shared memory slowly).
 */
const GATHER_FRAMES = 8;
/** A gather is also written once it holds this many bytes (holes' frames and the seek table count too). */
const GATHER_BYTES = 4 * MiB;

type Xxh64Api = Awaited<ReturnType<typeof xxhash>>;

export class SeekableZstdSink implements BlockSink {
  private readonly entries: SeekTableEntry[] = [];
  readonly retainedBlocks = 2 * GATHER_FRAMES;
  /** Bytes not yet written, in file order, and the releases of the blocks they belong to. */
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private gatheredReleases: (() => void)[] = [];
  /** The writev under way, if any. */
  private writing: Promise<void> | undefined;
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
    // A block without retain (not from streamBlocks) is copied: its bytes may change after write() resolves.
    const release = block.retain?.();
    await this.append(release ? block.zstdFrame : Buffer.from(block.zstdFrame), release);
    this.entries.push({ compressedBytes: block.zstdFrame.length, decompressedBytes: block.lengthBytes, checksum: block.frameChecksum });
  }

  async finish(): Promise<void> {
    await this.flushHoleRun();
    await this.append(encodeSeekTable(this.entries));
    await this.flushGathered();
    await this.settleWriting();
    await this.output.commit();
  }

  async discard(): Promise<void> {
    // A background write must not land after the temp file is gone; retained blocks go back.
    await this.writing?.catch(() => undefined);
    this.writing = undefined;
    for (const release of this.gatheredReleases) release();
    this.gathered = [];
    this.gatheredReleases = [];
    await this.output.discard();
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

  private async append(bytes: Buffer, release?: () => void): Promise<void> {
    this.gathered.push(bytes);
    this.gatheredBytes += bytes.length;
    if (release) this.gatheredReleases.push(release);
    if (this.gatheredReleases.length >= GATHER_FRAMES || this.gatheredBytes >= GATHER_BYTES) await this.flushGathered();
  }

  /** Starts writing the gathered bytes once the previous writev has finished; their blocks are released when it completes. */
  private async flushGathered(): Promise<void> {
    if (this.gathered.length === 0) return;
    await this.settleWriting();
    const buffers = this.gathered;
    const releases = this.gatheredReleases;
    const positionBytes = this.positionBytes;
    this.positionBytes += this.gatheredBytes;
    this.gathered = [];
    this.gatheredReleases = [];
    this.gatheredBytes = 0;
    const write = this.writeOut(buffers, positionBytes).finally(() => {
      for (const release of releases) release();
    });
    // A failure surfaces at the next settleWriting (write, finish or discard); no unhandled rejection meanwhile.
    write.catch(() => undefined);
    this.writing = write;
  }

  private async settleWriting(): Promise<void> {
    const write = this.writing;
    this.writing = undefined;
    await write;
  }

  private async writeOut(buffers: Buffer[], positionBytes: number): Promise<void> {
    try {
      let pending = buffers;
      while (pending.length > 0) {
        let { bytesWritten } = await this.output.handle.writev(pending, positionBytes);
        positionBytes += bytesWritten;
        // A short writev: continue from the first byte not written.
        let first = 0;
        while (first < pending.length && bytesWritten >= pending[first]!.length) bytesWritten -= pending[first++]!.length;
        pending = pending.slice(first);
        if (pending.length > 0 && bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten);
      }
    } catch (error) {
      throw ioError('write', this.output.finalPath, error);
    }
  }
}
