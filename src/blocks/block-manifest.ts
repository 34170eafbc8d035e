// The block manifest written beside an output (`--manifest FILE`): per written block its index,
// SHA-256 (base64) and xxh64 (hex), plus the LINEAR aggregate — the basis of incremental snapshots.
// Streamed to disk so its memory does not grow with the image.
import { ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import { TempOutput } from '../pipeline/temp-output.js';
import type { Block } from './block.js';

export const BLOCK_MANIFEST_FORMAT = 'amikit-block-manifest';

/** The parsed file. */
export interface BlockManifest {
  format: typeof BLOCK_MANIFEST_FORMAT;
  version: 1;
  blockSizeBytes: number;
  imageSizeBytes: number;
  blocks: { index: number; sha256: string; xxh64: string; meaningfulZeros?: true }[];
  blockCount: number;
  writtenBlockCount: number;
  checksumAlgorithm: 'SHA256';
  checksumAggregationMethod: 'LINEAR';
  aggregateSha256: string;
}

/** Lines buffered before one write: keeps syscalls few without holding the whole manifest. */
const FLUSH_CHARS = 256 * 1024;

export class BlockManifestWriter {
  private text: string;
  private first = true;

  private constructor(
    private readonly output: TempOutput,
    imageSizeBytes: number,
  ) {
    this.text =
      `{"format":"${BLOCK_MANIFEST_FORMAT}","version":1,"blockSizeBytes":${EBS_BLOCK_SIZE_BYTES},` +
      `"imageSizeBytes":${imageSizeBytes},"blocks":[`;
  }

  static async create(path: string, imageSizeBytes: number): Promise<BlockManifestWriter> {
    return new BlockManifestWriter(await TempOutput.create(path), imageSizeBytes);
  }

  async add(block: Block): Promise<void> {
    if (block.isHole || !block.sha256 || block.xxh64 === undefined) return;
    const zeros = block.hasMeaningfulZeros ? ',"meaningfulZeros":true' : '';
    this.text +=
      `${this.first ? '' : ','}\n{"index":${block.index},"sha256":"${block.sha256.toString('base64')}",` +
      `"xxh64":"${block.xxh64.toString(16).padStart(16, '0')}"${zeros}}`;
    this.first = false;
    if (this.text.length >= FLUSH_CHARS) await this.flush();
  }

  async finish(summary: { blockCount: number; writtenBlockCount: number; aggregateSha256: string | undefined }): Promise<void> {
    this.text +=
      `\n],"blockCount":${summary.blockCount},"writtenBlockCount":${summary.writtenBlockCount},` +
      `"checksumAlgorithm":"SHA256","checksumAggregationMethod":"LINEAR","aggregateSha256":"${summary.aggregateSha256}"}\n`;
    await this.flush();
    await this.output.commit();
  }

  async discard(): Promise<void> {
    await this.output.discard();
  }

  private async flush(): Promise<void> {
    try {
      await this.output.handle.write(this.text);
    } catch (error) {
      throw ioError('write', this.output.finalPath, error);
    }
    this.text = '';
  }
}
