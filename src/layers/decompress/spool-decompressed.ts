// Decompresses a gzip or zstd layer into an unlinked temp file (so a crash leaves nothing behind) and
// hands back a random-access source on it, with the SHA-256 of the compressed blob (OCI digest) and of
// the decompressed tar (OCI DiffID) computed on the way. Memory stays bounded: data is streamed.
import { createHash, randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ByteSource } from '../../tree/byte-source.js';
import { AmikitError, ioError } from '../../shared/errors.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import type { CompressionKind } from './detect-compression.js';

type ZstdBinding = typeof import('zstd-napi/binding.js');
// The package's stream wrapper pushes a whole input chunk's output without back-pressure, so a
// highly compressed chunk could balloon in memory; the raw streaming context lets us bound the output.
// Required on first use: loading the addon costs ~20 ms that plain and gzip layers need not pay.
let zstdBinding: ZstdBinding | undefined;
function loadZstdBinding(): ZstdBinding {
  zstdBinding ??= createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
  return zstdBinding;
}

const READ_CHUNK_BYTES = 1024 * 1024;
const OUTPUT_CHUNK_BYTES = 1024 * 1024;
const GZIP_FEED_BYTES = 64 * 1024;

export interface SpoolResult {
  /** The decompressed bytes (for 'none', the input source itself). Close it when done. */
  source: ByteSource;
  /** Hex SHA-256 of the bytes as stored (the blob digest). */
  compressedSha256: string;
  /** Hex SHA-256 of the decompressed bytes (the DiffID). */
  decompressedSha256: string;
  decompressedBytes: number;
}

export interface SpoolOptions {
  /** Where the (immediately unlinked) spool file is created. */
  tmpDir: string;
  /** Refuse (INPUT_LIMIT) once the output grows beyond this: a guard against decompression bombs. */
  maxDecompressedBytes?: number;
}

/**
 * Decompresses `source` into an anonymous spool file. For kind 'none' nothing is copied: the source is
 * hashed and returned as is.
 * @throws AmikitError INPUT_FORMAT on corrupt or truncated compressed data, naming the source and offset.
 */
export async function spoolDecompressed(source: ByteSource, kind: CompressionKind, options: SpoolOptions): Promise<SpoolResult> {
  const compressedHash = createHash('sha256');
  if (kind === 'none') {
    for await (const { chunk } of readChunks(source)) compressedHash.update(chunk);
    const digest = compressedHash.digest('hex');
    return { source, compressedSha256: digest, decompressedSha256: digest, decompressedBytes: source.sizeBytes };
  }

  const spoolPath = join(options.tmpDir, `amikit-spool-${process.pid}-${randomBytes(8).toString('hex')}`);
  let handle: FileHandle;
  try {
    handle = await open(spoolPath, 'wx+', 0o600);
  } catch (error) {
    throw ioError('create spool file in', options.tmpDir, error);
  }
  try {
    await unlink(spoolPath);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw ioError('unlink spool file', spoolPath, error);
  }

  const spool = new SpoolWriter(handle, options.tmpDir, source.name, options.maxDecompressedBytes ?? Number.MAX_SAFE_INTEGER);
  try {
    if (kind === 'gzip') await gunzipInto(source, compressedHash, spool);
    else await unzstdInto(source, compressedHash, spool);
    await spool.flush();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return {
    source: new FileByteSource(handle, spool.sizeBytes, `${source.name} (decompressed)`),
    compressedSha256: compressedHash.digest('hex'),
    decompressedSha256: spool.hash.digest('hex'),
    decompressedBytes: spool.sizeBytes,
  };
}

/** Reads a source front to back in bounded chunks (one reused buffer). */
async function* readChunks(source: ByteSource): AsyncGenerator<{ chunk: Buffer; offsetBytes: number }> {
  const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(1, source.sizeBytes)));
  for (let offsetBytes = 0; offsetBytes < source.sizeBytes; ) {
    const lengthBytes = Math.min(buffer.length, source.sizeBytes - offsetBytes);
    await source.readInto(buffer, 0, lengthBytes, offsetBytes);
    yield { chunk: buffer.subarray(0, lengthBytes), offsetBytes };
    offsetBytes += lengthBytes;
  }
}

/** Appends decompressed output to the spool file in ~1 MiB writes, hashing it on the way. */
class SpoolWriter {
  readonly hash = createHash('sha256');
  sizeBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly tmpDir: string,
    private readonly sourceName: string,
    private readonly maxBytes: number,
  ) {}

  /** `owned` says the caller will not reuse `chunk`, so it need not be copied. */
  async write(chunk: Buffer, owned = false): Promise<void> {
    if (this.sizeBytes + this.pendingBytes + chunk.length > this.maxBytes) {
      throw new AmikitError('INPUT_LIMIT', `${this.sourceName}: decompresses to more than ${this.maxBytes} bytes`, {
        data: { file: this.sourceName, limitBytes: this.maxBytes },
      });
    }
    this.hash.update(chunk);
    this.pending.push(owned ? chunk : Buffer.from(chunk));
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= OUTPUT_CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await this.handle.write(data, written, data.length - written, this.sizeBytes + written);
        written += bytesWritten;
      }
    } catch (error) {
      throw ioError('write spool file in', this.tmpDir, error);
    }
    this.sizeBytes += data.length;
  }
}

/** RFC 1952 via zlib; Node's gunzip continues across members, as multi-member (eStargz) layers need. */
async function gunzipInto(source: ByteSource, compressedHash: ReturnType<typeof createHash>, spool: SpoolWriter): Promise<void> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  let fedBytes = 0;
  // The pipeline may report its own abort instead of the error that caused it; keep ours.
  let ownError: unknown;
  const input = Readable.from(
    (async function* () {
      try {
        for await (const { chunk } of readChunks(source)) {
          compressedHash.update(chunk);
          // Fed in 64 KiB pieces so an error can be placed within 64 KiB. The reader reuses its buffer
          // and zlib may hold on to what it is given: hand over copies.
          for (let at = 0; at < chunk.length; at += GZIP_FEED_BYTES) {
            const piece = Buffer.from(chunk.subarray(at, at + GZIP_FEED_BYTES));
            fedBytes += piece.length;
            yield piece;
          }
        }
      } catch (error) {
        ownError ??= error;
        throw error;
      }
    })(),
    { objectMode: false },
  );
  try {
    await pipeline(input, gunzip, async (output: AsyncIterable<Buffer>) => {
      try {
        for await (const chunk of output) await spool.write(chunk, true);
      } catch (error) {
        if (error instanceof AmikitError) ownError ??= error;
        throw error;
      }
    });
  } catch (error) {
    if (ownError !== undefined) throw ownError;
    if (error instanceof AmikitError) throw error;
    const errno = (error as NodeJS.ErrnoException).code;
    // The fault lies in the last piece handed to zlib, so at or before the end of what was fed.
    const offsetBytes = fedBytes;
    if (errno === 'Z_BUF_ERROR') {
      throw new AmikitError('INPUT_FORMAT', `${source.name}: truncated gzip data (input ends at offset ${source.sizeBytes})`, {
        data: { file: source.name, offsetBytes: source.sizeBytes },
        cause: error,
      });
    }
    throw new AmikitError(
      'INPUT_FORMAT',
      `${source.name}: corrupt gzip data at or before offset ${offsetBytes}: ${(error as Error).message}`,
      { data: { file: source.name, offsetBytes }, cause: error },
    );
  }
}

/** RFC 8878 via libzstd's streaming decoder, which decodes consecutive frames and skips skippable ones. */
async function unzstdInto(source: ByteSource, compressedHash: ReturnType<typeof createHash>, spool: SpoolWriter): Promise<void> {
  const context = new (loadZstdBinding().DCtx)();
  const output = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
  // libzstd returns 0 exactly when a frame is complete and flushed; anything else at the end = truncated.
  let frameOpen = false;
  for await (const { chunk, offsetBytes } of readChunks(source)) {
    compressedHash.update(chunk);
    let input = chunk;
    for (;;) {
      let result: [number, number, number];
      try {
        result = context.decompressStream(output, input) as [number, number, number];
      } catch (error) {
        const at = offsetBytes + (chunk.length - input.length);
        throw new AmikitError('INPUT_FORMAT', `${source.name}: corrupt zstd data near offset ${at}: ${(error as Error).message}`, {
          data: { file: source.name, offsetBytes: at },
          cause: error,
        });
      }
      const [remaining, produced, consumed] = result;
      if (produced > 0) await spool.write(output.subarray(0, produced));
      input = input.subarray(consumed);
      // A call that neither consumed nor produced (an empty input after a frame ended) starts nothing.
      if (consumed > 0 || produced > 0) frameOpen = remaining !== 0;
      if (input.length === 0 && produced < output.length) break;
    }
  }
  if (frameOpen) {
    throw new AmikitError('INPUT_FORMAT', `${source.name}: truncated zstd data (input ends at offset ${source.sizeBytes})`, {
      data: { file: source.name, offsetBytes: source.sizeBytes },
    });
  }
}
