// The sparse raw image sink: written blocks at their offsets, holes never written (so they stay
// holes on disk), under a temporary name renamed when complete.
import type { Block } from '../blocks/block.js';
import type { BlockSink } from '../blocks/block-sink.js';
import { TempOutput } from '../pipeline/temp-output.js';
import { ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';

export class RawImageSink implements BlockSink {
  private constructor(private readonly output: TempOutput) {}

  /** Creates the temp file with the image's full (apparent) size; nothing is allocated yet. */
  static async create(path: string, sizeBytes: number): Promise<RawImageSink> {
    const output = await TempOutput.create(path);
    try {
      await output.handle.truncate(sizeBytes);
    } catch (error) {
      await output.discard();
      throw ioError('size', path, error);
    }
    return new RawImageSink(output);
  }

  async write(block: Block): Promise<void> {
    if (block.isHole || !block.data) return;
    const position = block.index * EBS_BLOCK_SIZE_BYTES;
    try {
      let done = 0;
      while (done < block.data.length) {
        const { bytesWritten } = await this.output.handle.write(block.data, done, block.data.length - done, position + done);
        done += bytesWritten;
      }
    } catch (error) {
      throw ioError(`write block ${block.index} of`, this.output.finalPath, error);
    }
  }

  finish(): Promise<void> {
    return this.output.commit();
  }

  discard(): Promise<void> {
    return this.output.discard();
  }
}
