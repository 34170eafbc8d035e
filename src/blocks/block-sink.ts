// The sink contract and the pump that drives one block stream into sinks, computing the LINEAR
// aggregate and the manifest on the way.
import type { Block } from './block.js';
import { BlockManifestWriter } from './block-manifest.js';
import type { BlockSource } from './block-source.js';
import { LinearChecksum } from './linear-checksum.js';
import { streamBlocks, type StreamBlocksOptions } from './stream-blocks.js';

/** Consumes blocks in index order; `write` must finish with the block's bytes before it resolves, unless it retains the block. */
export interface BlockSink {
  /** Whether blocks must carry a zstd frame (and at which level). */
  readonly zstdLevel?: number;
  /** Whether blocks must carry their SHA-256 (an EBS snapshot does; files do not). */
  readonly needsSha256?: boolean;
  /** At most this many blocks held at once through Block.retain (a background writer); default 0. */
  readonly retainedBlocks?: number;
  write(block: Block): Promise<void>;
  /** Completes the output (rename into place). */
  finish(): Promise<void>;
  /** Removes a partial output; safe after a failure. */
  discard(): Promise<void>;
}

export interface PumpBlocksOptions extends Omit<StreamBlocksOptions, 'zstdLevel'> {
  /** Also write the block manifest to this path. */
  manifestPath?: string;
  /** Compute SHA-256 and the LINEAR aggregate even when no sink or manifest needs them (default true). */
  sha256?: boolean;
}

export interface PumpBlocksResult {
  blockCount: number;
  /** Non-hole blocks (ChangedBlocksCount for a snapshot). */
  writtenBlockCount: number;
  /** LINEAR aggregate of the written blocks' SHA-256, base64; undefined when SHA-256 was not computed. */
  aggregateSha256: string | undefined;
}

/** Streams `source` through every sink (at most one may compress) and completes them all, or discards them all. */
export async function pumpBlocks(source: BlockSource, sinks: BlockSink[], options: PumpBlocksOptions = {}): Promise<PumpBlocksResult> {
  const zstdLevel = sinks.find((sink) => sink.zstdLevel !== undefined)?.zstdLevel;
  const manifest = options.manifestPath ? await BlockManifestWriter.create(options.manifestPath, source.plan.sizeBytes) : undefined;
  const checksum = new LinearChecksum();
  try {
    const { manifestPath: _manifestPath, sha256: wantsSha256, ...streamOptions } = options;
    const sha256 = (wantsSha256 ?? true) || manifest !== undefined || sinks.some((sink) => sink.needsSha256);
    const retainedBlocks = sinks.reduce((sum, sink) => sum + (sink.retainedBlocks ?? 0), 0);
    for await (const block of streamBlocks(source, { ...streamOptions, sha256, retainedBlocks, ...(zstdLevel !== undefined ? { zstdLevel } : {}) })) {
      checksum.add(block);
      for (const sink of sinks) await sink.write(block);
      await manifest?.add(block);
    }
    const result = { blockCount: source.plan.blockCount, writtenBlockCount: checksum.writtenBlockCount, aggregateSha256: checksum.digestBase64() };
    for (const sink of sinks) await sink.finish();
    await manifest?.finish(result);
    return result;
  } catch (error) {
    await Promise.all([...sinks.map((sink) => sink.discard()), manifest?.discard()]);
    throw error;
  }
}
