// Producers of the block stream: a raw image file read block by block, with holes known from the
// ext4 writer's map or found with SEEK_DATA/SEEK_HOLE and a zero scan (an existing raw image).
import { open, type FileHandle } from 'node:fs/promises';
import type { WrittenRange } from '../ext4/ext4-options.js';
import { dataExtents } from '../kernels/sparse-extents.js';
import { ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import { planFromDataExtents, planFromWrittenMap, type BlockPlan } from './block-plan.js';

/** Anything the block stream can read: which blocks to read, and how to read one. */
export interface BlockSource {
  readonly plan: BlockPlan;
  /** Fills target[0, lengthBytes) with block `index`'s image bytes. */
  read(index: number, target: Buffer, lengthBytes: number): Promise<void>;
  /**
   * A descriptor holding the raw image at offset 0, when there is one: workers then read blocks
   * themselves (a positioned read per block), sparing the main thread a hop through the thread pool.
   */
  readonly fd?: number;
  close(): Promise<void>;
}

export interface RawImageSourceOptions {
  /** The ext4 writer's map: blocks outside it are holes without being read. Without it, data extents + zero scan. */
  writtenMap?: readonly WrittenRange[];
  /** Filesystem block size of `writtenMap` (4096 for amikit's ext4). */
  fsBlockSizeBytes?: number;
  /** Where the filesystem starts in the image. */
  fsOffsetBytes?: number;
}

/** A raw image file as a block source. */
export class RawImageSource implements BlockSource {
  private constructor(
    readonly path: string,
    readonly plan: BlockPlan,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string, options: RawImageSourceOptions = {}): Promise<RawImageSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw ioError('open image', path, error);
    }
    try {
      const { size } = await handle.stat();
      const plan = options.writtenMap
        ? planFromWrittenMap(size, options.writtenMap, options.fsBlockSizeBytes ?? 4096, options.fsOffsetBytes ?? 0)
        : planFromDataExtents(size, dataExtents(handle.fd, size, path));
      return new RawImageSource(path, plan, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get fd(): number {
    return this.handle.fd;
  }

  async read(index: number, target: Buffer, lengthBytes: number): Promise<void> {
    let done = 0;
    const position = index * EBS_BLOCK_SIZE_BYTES;
    try {
      while (done < lengthBytes) {
        const { bytesRead } = await this.handle.read(target, done, lengthBytes - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw ioError(`read block ${index} of`, this.path, error);
    }
    // A file that shrank underneath us reads as zeros rather than stale slot bytes.
    if (done < lengthBytes) target.fill(0, done, lengthBytes);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
