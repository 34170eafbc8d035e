// Where a build's image goes: `X.img` ⇒ the writer fills a sparse file in place (holes never written);
// `X.img.zst` ⇒ the writer fills a scratch raw file that streams through the block pipeline into a
// seekable zstd image. `--manifest` streams the result through the hasher either way.
import type { FileHandle } from 'node:fs/promises';
import type { WrittenRange } from '../ext4/ext4-options.js';
import { pumpBlocks, type BlockSink, type PumpBlocksResult } from '../blocks/block-sink.js';
import { RawImageSource } from '../blocks/block-source.js';
import type { ProgressListener } from '../pipeline/progress-event.js';
import { TempOutput } from '../pipeline/temp-output.js';

export interface ImageOutputOptions {
  /** Also write the block manifest (JSON) here. */
  manifestPath?: string;
  /** zstd level for a `.zst` output (default: the sink's, tuned for speed). */
  zstdLevel?: number;
  onProgress?: ProgressListener;
  /**
   * More sinks for the block stream, made once the image is written (an EBS snapshot: started only
   * when there are blocks to send). They are finished with the others, or discarded on failure.
   */
  extraSinks?: (sizeBytes: number) => Promise<BlockSink[]>;
  /** false: the image file is a scratch file, removed once streamed (publish without -o). Default true. */
  keepImage?: boolean;
  /** Stops the block stream (Ctrl-C); the sinks are then discarded. */
  signal?: AbortSignal;
}

/** What the writer reports back: which filesystem blocks it wrote, so unwritten ones stay holes. */
export interface WrittenImage {
  writtenMap: WrittenRange[];
  blockSizeBytes: number;
}

/** True when the output name asks for a seekable zstd image. */
export function isZstdOutput(outputPath: string): boolean {
  return outputPath.endsWith('.zst');
}

/**
 * Runs `write` on a file of `sizeBytes` (reading as zeros) and delivers the image to `outputPath`.
 * `write` also gets an O_DIRECT handle on the same file when the file is the final output (not a
 * scratch file streamed on at once), for its large aligned writes; see TempOutput.openDirect.
 * @returns the writer's result and, when the block pipeline ran, its block summary (LINEAR aggregate).
 */
export async function writeImageOutput<T extends WrittenImage>(
  outputPath: string,
  sizeBytes: number,
  write: (output: TempOutput, directHandle: FileHandle | undefined) => Promise<T>,
  options: ImageOutputOptions = {},
): Promise<{ written: T; blocks: PumpBlocksResult | undefined }> {
  const toZstd = isZstdOutput(outputPath);
  // Created first, so a bad level or an unwritable output fails before the filesystem is written.
  // Loaded only for .img.zst outputs: zstd-napi and xxhash-wasm cost ~30 ms to load that a raw image need not pay.
  const zstdSink = toZstd ? await (await import('./seekable-zstd-sink.js')).SeekableZstdSink.create(outputPath, options.zstdLevel !== undefined ? { zstdLevel: options.zstdLevel } : {}) : undefined;
  const image = await TempOutput.create(outputPath);
  try {
    await image.handle.truncate(sizeBytes);
    const keptRaw = !zstdSink && options.keepImage !== false;
    const written = await write(image, keptRaw ? await image.openDirect() : undefined);
    let blocks: PumpBlocksResult | undefined;
    const extraSinks = options.extraSinks ? await options.extraSinks(sizeBytes) : [];
    if (zstdSink || options.manifestPath || extraSinks.length > 0) {
      const source = await RawImageSource.open(image.tempPath, { writtenMap: written.writtenMap, fsBlockSizeBytes: written.blockSizeBytes });
      try {
        const sinks: BlockSink[] = [...(zstdSink ? [zstdSink] : []), ...extraSinks];
        blocks = await pumpBlocks(source, sinks, {
          // SHA-256 only when a manifest is asked for: a bare .img.zst needs xxh64 (its seek table) alone.
          sha256: false,
          ...(options.manifestPath ? { manifestPath: options.manifestPath } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } finally {
        await source.close();
      }
    }
    if (zstdSink || options.keepImage === false) await image.discard();
    else await image.commit();
    return { written, blocks };
  } catch (error) {
    await Promise.all([image.discard(), zstdSink?.discard()]);
    throw error;
  }
}
