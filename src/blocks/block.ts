// One 512 KiB EBS block as it flows from a producer (ext4 writer, raw image, .img.zst) to the sinks:
// its index, whether it is a hole, whether its zeros matter, its SHA-256 and xxh64 (EBS direct API
// PutSnapshotBlock: base64 SHA-256 of the full 512 KiB body).
import { createHash } from 'node:crypto';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';

export interface Block {
  index: number;
  /** Image bytes in this block: EBS_BLOCK_SIZE_BYTES except a short last block. */
  lengthBytes: number;
  /** Never written (outside the writer's map, in a file hole, or all zeros in a scanned raw image). */
  isHole: boolean;
  /** Must read back as written even where zero (an encrypted snapshot returns garbage for unsent blocks). */
  hasMeaningfulZeros: boolean;
  /** Raw SHA-256 of the block padded with zeros to EBS_BLOCK_SIZE_BYTES; undefined for holes or when not asked for. */
  sha256: Buffer | undefined;
  /** xxh64 (seed 0) of the padded block; undefined for holes. */
  xxh64: bigint | undefined;
  /** The block's image bytes (lengthBytes long); valid only until the stream's next block is requested. */
  data: Buffer | undefined;
  /** One zstd frame of `data`, when the stream was asked to compress; same lifetime as `data`. */
  zstdFrame: Buffer | undefined;
  /** Low 32 bits of xxh64 over the unpadded bytes (the zstd seek table checksum), with zstdFrame. */
  frameChecksum: number | undefined;
  /**
   * Keeps `data` and `zstdFrame` valid past the next block until the returned release is called
   * (a sink writing in the background). Absent on holes. Every call must be released exactly once,
   * and a sink must not retain without bound: the stream stalls when all its slots are retained.
   */
  retain?: () => () => void;
}

/** Zeros of one full block, shared read-only. */
export const ZERO_BLOCK: Buffer = Buffer.alloc(EBS_BLOCK_SIZE_BYTES);

/** SHA-256 of a zero block: what a written all-zero block with meaningful zeros hashes to. */
export const ZERO_BLOCK_SHA256: Buffer = createHash('sha256').update(ZERO_BLOCK).digest();

/** The form PutSnapshotBlock's x-amz-Checksum wants. */
export function sha256Base64(block: Block): string | undefined {
  return block.sha256?.toString('base64');
}

/** Blocks needed for `sizeBytes` of image. */
export function blockCountFor(sizeBytes: number): number {
  return Math.ceil(sizeBytes / EBS_BLOCK_SIZE_BYTES);
}
