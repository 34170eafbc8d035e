// Random access to a seekable zstd image: the seek table maps each 512 KiB block to the one frame
// holding it, so reading a block decompresses that frame only (zstd contrib/seekable_format).
import { open, type FileHandle } from 'node:fs/promises';
import xxhash from 'xxhash-wasm';
import { Decompressor } from 'zstd-napi';
import type { BlockPlan } from '../blocks/block-plan.js';
import { BLOCK_HOLE, BLOCK_SCAN } from '../blocks/block-plan.js';
import type { BlockSource } from '../blocks/block-source.js';
import { blockCountFor } from '../blocks/block.js';
import { AmikitError, ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import { decodeSeekTable, decodeSeekTableFooter, SEEK_TABLE_FOOTER_BYTES, zeroFrame, type SeekTableEntry } from './seekable-zstd-format.js';

type Xxh64Api = Awaited<ReturnType<typeof xxhash>>;

/** Also a block source: a .img.zst read back streams like a raw image, hole frames skipped unread. */
export class SeekableZstdReader implements BlockSource {
  private readonly decompressor = new Decompressor();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly entries: SeekTableEntry[],
    /** compressedOffsets[i], decompressedOffsets[i]: where frame i starts in the file and in the image. */
    private readonly compressedOffsets: Float64Array,
    private readonly decompressedOffsets: Float64Array,
    /** Frames recognised as amikit's all-zero frames: read as zeros without decompressing. */
    private readonly isZeroFrame: Uint8Array,
    readonly sizeBytes: number,
    readonly plan: BlockPlan,
    private readonly xxh: Xxh64Api,
  ) {}

  static async open(path: string): Promise<SeekableZstdReader> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw ioError('open image', path, error);
    }
    try {
      const { size } = await handle.stat();
      if (size < SEEK_TABLE_FOOTER_BYTES) throw decodeError(path, 'too short');
      const footer = await readExactly(handle, size - SEEK_TABLE_FOOTER_BYTES, SEEK_TABLE_FOOTER_BYTES, path);
      const { tableBytes } = decodeSeekTableFooter(footer, path);
      if (tableBytes > size) throw decodeError(path, 'the seek table is longer than the file');
      const entries = decodeSeekTable(await readExactly(handle, size - tableBytes, tableBytes, path), path);
      const compressedOffsets = new Float64Array(entries.length + 1);
      const decompressedOffsets = new Float64Array(entries.length + 1);
      const isZeroFrame = new Uint8Array(entries.length);
      for (let index = 0; index < entries.length; index++) {
        compressedOffsets[index + 1] = compressedOffsets[index]! + entries[index]!.compressedBytes;
        decompressedOffsets[index + 1] = decompressedOffsets[index]! + entries[index]!.decompressedBytes;
      }
      if (compressedOffsets[entries.length]! !== size - tableBytes) throw decodeError(path, 'the seek table does not add up to the file size');
      const sizeBytes = decompressedOffsets[entries.length]!;
      const states = new Uint8Array(blockCountFor(sizeBytes)).fill(BLOCK_SCAN);
      for (let index = 0; index < entries.length; index++) {
        const entry = entries[index]!;
        if (entry.decompressedBytes === 0) continue;
        const expected = zeroFrame(entry.decompressedBytes);
        if (entry.compressedBytes !== expected.length) continue;
        const frame = await readExactly(handle, compressedOffsets[index]!, entry.compressedBytes, path);
        if (!frame.equals(expected)) continue;
        isZeroFrame[index] = 1;
        const first = decompressedOffsets[index]! / EBS_BLOCK_SIZE_BYTES;
        const end = decompressedOffsets[index + 1]! / EBS_BLOCK_SIZE_BYTES;
        // Only whole blocks inside the zero frame are holes for sure.
        if (Number.isInteger(first)) states.fill(BLOCK_HOLE, first, Math.floor(end));
        if (decompressedOffsets[index + 1] === sizeBytes && Number.isInteger(first)) states.fill(BLOCK_HOLE, first);
      }
      const plan: BlockPlan = { sizeBytes, blockCount: states.length, states };
      return new SeekableZstdReader(path, handle, entries, compressedOffsets, decompressedOffsets, isZeroFrame, sizeBytes, plan, await xxhash());
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get frameCount(): number {
    return this.entries.length;
  }

  /** Block `index` (short for a short last block), verified against the seek table checksum. */
  async readBlock(index: number): Promise<Buffer> {
    const lengthBytes = Math.min(EBS_BLOCK_SIZE_BYTES, this.sizeBytes - index * EBS_BLOCK_SIZE_BYTES);
    if (!Number.isInteger(index) || index < 0 || lengthBytes <= 0) {
      throw new AmikitError('USAGE', `block ${index} is outside ${this.path} (${blockCountFor(this.sizeBytes)} blocks)`, { data: { path: this.path, blockIndex: index } });
    }
    const target = Buffer.alloc(lengthBytes);
    await this.read(index, target, lengthBytes);
    return target;
  }

  async read(index: number, target: Buffer, lengthBytes: number): Promise<void> {
    let startByte = index * EBS_BLOCK_SIZE_BYTES;
    const endByte = startByte + lengthBytes;
    let written = 0;
    // A block lies in one frame when amikit wrote the file; other writers' frame boundaries may differ.
    while (startByte < endByte) {
      const frameIndex = this.frameAt(startByte);
      const frameStart = this.decompressedOffsets[frameIndex]!;
      const frameEnd = this.decompressedOffsets[frameIndex + 1]!;
      const take = Math.min(endByte, frameEnd) - startByte;
      if (this.isZeroFrame[frameIndex]) {
        target.fill(0, written, written + take);
      } else {
        const content = await this.decompressFrame(frameIndex);
        content.copy(target, written, startByte - frameStart, startByte - frameStart + take);
      }
      written += take;
      startByte += take;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private frameAt(byteOffset: number): number {
    let low = 0;
    let high = this.entries.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.decompressedOffsets[middle]! <= byteOffset) low = middle;
      else high = middle - 1;
    }
    // Skip empty (skippable) frames that share the offset.
    while (low < this.entries.length - 1 && this.entries[low]!.decompressedBytes === 0) low++;
    return low;
  }

  private async decompressFrame(frameIndex: number): Promise<Buffer> {
    const entry = this.entries[frameIndex]!;
    const frame = await readExactly(this.handle, this.compressedOffsets[frameIndex]!, entry.compressedBytes, this.path);
    let content: Buffer;
    try {
      content = this.decompressor.decompress(frame);
    } catch (error) {
      throw decodeError(this.path, `frame ${frameIndex} does not decompress: ${(error as Error).message}`, error);
    }
    if (content.length !== entry.decompressedBytes || (entry.checksum >= 0 && Number(this.xxh.h64Raw(content) & 0xffffffffn) !== entry.checksum)) {
      throw decodeError(this.path, `frame ${frameIndex} does not match its seek table entry (size or checksum)`);
    }
    return content;
  }
}

function decodeError(path: string, reason: string, cause?: unknown): AmikitError {
  return new AmikitError('INPUT_FORMAT', `cannot read seekable zstd image ${path}: ${reason}`, { data: { path }, cause });
}

async function readExactly(handle: FileHandle, position: number, lengthBytes: number, path: string): Promise<Buffer> {
  const buffer = Buffer.alloc(lengthBytes);
  let done = 0;
  try {
    while (done < lengthBytes) {
      const { bytesRead } = await handle.read(buffer, done, lengthBytes - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (error) {
    throw ioError('read', path, error);
  }
  if (done < lengthBytes) throw decodeError(path, `truncated at byte ${position + done}`);
  return buffer;
}
