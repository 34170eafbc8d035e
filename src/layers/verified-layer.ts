// Opens one layer blob of an image (OCI image-spec config.md "rootfs.diff_ids", descriptor.md "Digests"):
// sniffs its compression from the bytes, spools it decompressed, and checks the blob digest, size and DiffID.
import { createHash } from 'node:crypto';
import { AmikitError } from '../shared/errors.js';
import { readRange, type ByteSource } from '../tree/byte-source.js';
import { COMPRESSION_MAGIC_BYTES, detectCompression } from './decompress/detect-compression.js';
import { spoolDecompressed } from './decompress/spool-decompressed.js';
import { TarLayer } from './tar-layer.js';

const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;
const HASH_CHUNK_BYTES = 1024 * 1024;

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
  let spool: Awaited<ReturnType<typeof spoolDecompressed>>;
  try {
    spool = await spoolDecompressed(blob, kind, { tmpDir: options.tmpDir });
  } catch (error) {
    throw await explainUndecodable(blob, expected, error);
  }
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
 * A blob that does not decompress is usually a corrupted one: when its digest is known and differs, say
 * that (DIGEST_MISMATCH) rather than how the decoder tripped; otherwise name the layer on the decoder error.
 */
async function explainUndecodable(blob: ByteSource, expected: LayerExpectation, error: unknown): Promise<unknown> {
  if (!(error instanceof AmikitError) || error.code !== 'INPUT_FORMAT') return error;
  if (expected.blobSha256Hex !== undefined) {
    const actual = await sha256OfSource(blob);
    if (actual !== expected.blobSha256Hex) {
      return new AmikitError(
        'DIGEST_MISMATCH',
        `${expected.label}: blob ${blob.name} has digest sha256:${actual}, expected sha256:${expected.blobSha256Hex}`,
        { data: { layer: expected.label, file: blob.name }, cause: error },
      );
    }
  }
  return new AmikitError('INPUT_FORMAT', `${expected.label}: ${error.message}`, { data: error.data, cause: error });
}

async function sha256OfSource(source: ByteSource): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  for (let offsetBytes = 0; offsetBytes < source.sizeBytes; offsetBytes += chunk.length) {
    const lengthBytes = Math.min(chunk.length, source.sizeBytes - offsetBytes);
    await source.readInto(chunk, 0, lengthBytes, offsetBytes);
    hash.update(chunk.subarray(0, lengthBytes));
  }
  return hash.digest('hex');
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
