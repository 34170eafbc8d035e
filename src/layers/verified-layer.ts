// Opens one layer blob of an image (OCI image-spec config.md "rootfs.diff_ids", descriptor.md "Digests"):
// sniffs its compression from the bytes, spools it decompressed, and checks the blob digest, size and DiffID.
import { AmikitError } from '../shared/errors.js';
import { readRange, type ByteSource } from '../tree/byte-source.js';
import { COMPRESSION_MAGIC_BYTES, detectCompression } from './decompress/detect-compression.js';
import { spoolDecompressed } from './decompress/spool-decompressed.js';
import { TarLayer } from './tar-layer.js';

const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;

export interface LayerExpectation {
  /** "image.tar: layer 2" — names the layer in messages. */
  label: string;
  /** Blob digest (over the bytes as stored), when the container names one. */
  blobSha256Hex?: string;
  /** Blob size from the descriptor, when known. */
  blobSizeBytes?: number;
  /** DiffID: digest of the uncompressed tar (config rootfs.diff_ids). */
  diffIdSha256Hex: string;
}

/**
 * Verifies `blob` and returns a tar layer over its decompressed bytes. The layer owns the spool, not `blob`
 * (the caller closes that), except for an uncompressed blob, which is used in place.
 * @throws AmikitError DIGEST_MISMATCH naming the layer and digests; INPUT_FORMAT on corrupt compression.
 */
export async function openVerifiedLayer(
  blob: ByteSource,
  expected: LayerExpectation,
  options: { tmpDir: string; onWarning?(message: string): void },
): Promise<TarLayer> {
  if (expected.blobSizeBytes !== undefined && blob.sizeBytes !== expected.blobSizeBytes) {
    throw new AmikitError(
      'DIGEST_MISMATCH',
      `${expected.label}: blob ${blob.name} has ${blob.sizeBytes} bytes but its descriptor says ${expected.blobSizeBytes}`,
      { data: { layer: expected.label, file: blob.name } },
    );
  }
  const head = await readRange(blob, 0, Math.min(COMPRESSION_MAGIC_BYTES, blob.sizeBytes));
  const kind = detectCompression(head);
  const spool = await spoolDecompressed(blob, kind, { tmpDir: options.tmpDir });
  const layer = new TarLayer(spool.source, {
    name: expected.label,
    ownsSource: kind !== 'none',
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  try {
    if (expected.blobSha256Hex !== undefined && spool.compressedSha256 !== expected.blobSha256Hex) {
      throw new AmikitError(
        'DIGEST_MISMATCH',
        `${expected.label}: blob ${blob.name} has digest sha256:${spool.compressedSha256}, expected sha256:${expected.blobSha256Hex}`,
        { data: { layer: expected.label, file: blob.name, expected: `sha256:${expected.blobSha256Hex}`, actual: `sha256:${spool.compressedSha256}` } },
      );
    }
    if (spool.decompressedSha256 !== expected.diffIdSha256Hex) {
      throw new AmikitError(
        'DIGEST_MISMATCH',
        `${expected.label}: uncompressed tar has DiffID sha256:${spool.decompressedSha256}, config says sha256:${expected.diffIdSha256Hex}`,
        { data: { layer: expected.label, file: blob.name, expected: `sha256:${expected.diffIdSha256Hex}`, actual: `sha256:${spool.decompressedSha256}` } },
      );
    }
  } catch (error) {
    await layer.close();
    throw error;
  }
  return layer;
}

/**
 * The hex of a `sha256:<hex>` digest.
 * @throws AmikitError INPUT_FORMAT for another algorithm or a malformed digest, naming `where`.
 */
export function sha256HexOf(digest: unknown, where: string): string {
  const match = typeof digest === 'string' ? SHA256_DIGEST.exec(digest) : null;
  if (!match) {
    throw new AmikitError('INPUT_FORMAT', `${where}: unsupported or malformed digest ${JSON.stringify(digest)} (only sha256 is supported)`);
  }
  return match[1]!;
}
