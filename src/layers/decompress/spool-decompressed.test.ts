import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRange } from '../../tree/byte-source.js';
import { AmikitError } from '../../shared/errors.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { detectCompression } from './detect-compression.js';
import { spoolDecompressed } from './spool-decompressed.js';

function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasZstd = hasTool('zstd');

let dir: string;
let spoolDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-spool-'));
  spoolDir = join(dir, 'spool');
  await mkdir(spoolDir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Deterministic, moderately compressible bytes. */
function sampleBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = (state >>> 24) % 16;
  }
  return out;
}

let fileCounter = 0;
async function sourceOf(bytes: Buffer, name = 'layer.blob'): Promise<FileByteSource> {
  const path = join(dir, `in-${fileCounter++}`);
  await writeFile(path, bytes);
  return FileByteSource.open(path, name);
}

function zstdCli(data: Buffer, args: string[] = []): Buffer {
  return execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 28 });
}

function skippableFrame(magicLowNibble: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a50 + magicLowNibble, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function expectFormatError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AmikitError);
    expect((error as AmikitError).code).toBe('INPUT_FORMAT');
    expect((error as AmikitError).message).toMatch(pattern);
    expect((error as AmikitError).message).not.toContain('\n');
    return;
  }
  throw new Error('expected INPUT_FORMAT');
}

async function spool(blob: Buffer) {
  const source = await sourceOf(blob);
  const kind = detectCompression(blob.subarray(0, 4));
  try {
    return await spoolDecompressed(source, kind, { tmpDir: spoolDir });
  } finally {
    if (kind !== 'none') await source.close();
  }
}

async function expectSpooled(blob: Buffer, plain: Buffer): Promise<void> {
  const result = await spool(blob);
  expect(result.decompressedBytes).toBe(plain.length);
  expect(result.source.sizeBytes).toBe(plain.length);
  expect(result.compressedSha256).toBe(sha256(blob));
  expect(result.decompressedSha256).toBe(sha256(plain));
  expect(sha256(await readRange(result.source, 0, plain.length))).toBe(sha256(plain));
  await result.source.close();
}

describe('spoolDecompressed', () => {
  const partA = sampleBytes(3 * 1024 * 1024 + 17, 1);
  const partB = sampleBytes(200_000, 2);

  it('gunzips multi-member gzip and hashes both streams; the spool file is already unlinked', async () => {
    const blob = Buffer.concat([gzipSync(partA), gzipSync(partB), gzipSync(Buffer.alloc(0))]);
    const result = await spool(blob);
    expect(await readdir(spoolDir)).toEqual([]);
    await result.source.close();
    await expectSpooled(blob, Buffer.concat([partA, partB]));
  });

  it('reports truncated and corrupt gzip as INPUT_FORMAT naming the source', async () => {
    const blob = gzipSync(partA);
    await expectFormatError(spool(blob.subarray(0, blob.length - 100)), /^layer\.blob: truncated gzip data \(input ends at offset \d+\)$/);
    const corrupt = Buffer.from(blob);
    corrupt[corrupt.length - 6]! ^= 0xff; // inside the CRC-32 trailer
    await expectFormatError(spool(corrupt), /^layer\.blob: corrupt gzip data at or before offset \d+: /);
    const corruptBody = Buffer.from(blob);
    corruptBody[1000]! ^= 0x55;
    await expectFormatError(spool(corruptBody), /^layer\.blob: corrupt gzip data at or before offset \d+: /);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it.skipIf(!hasZstd)('decodes zstd CLI frames, several in a row, with skippable frames before, between and after', async () => {
    const blob = Buffer.concat([
      skippableFrame(0, Buffer.from('toc')),
      zstdCli(partA),
      skippableFrame(15, Buffer.alloc(0)),
      zstdCli(partB, ['--no-check', '--no-content-size']),
      skippableFrame(7, Buffer.alloc(5000, 0xaa)),
    ]);
    expect(detectCompression(blob)).toBe('zstd');
    await expectSpooled(blob, Buffer.concat([partA, partB]));
    // The oracle agrees that this is one valid zstd stream.
    expect(sha256(execFileSync('zstd', ['-q', '-d', '-c'], { input: blob, maxBuffer: 1 << 28 }))).toBe(
      sha256(Buffer.concat([partA, partB])),
    );
  });

  it.skipIf(!hasZstd)('keeps memory bounded on a highly compressed zstd stream', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const blob = zstdCli(zeros, ['-19']);
    expect(blob.length).toBeLessThan(64 * 1024);
    await expectSpooled(blob, zeros);
  });

  it.skipIf(!hasZstd)('reports truncated and corrupt zstd as INPUT_FORMAT naming the source and offset', async () => {
    const blob = zstdCli(partA);
    await expectFormatError(spool(blob.subarray(0, blob.length - 10)), /^layer\.blob: truncated zstd data \(input ends at offset \d+\)$/);
    const corrupt = Buffer.from(blob);
    corrupt[corrupt.length - 2]! ^= 0xff; // inside the content checksum
    await expectFormatError(spool(corrupt), /^layer\.blob: corrupt zstd data near offset \d+: /);
    // Trailing garbage after the last frame is not a frame.
    await expectFormatError(spool(Buffer.concat([blob, Buffer.from('garbage!')])), /corrupt zstd data near offset \d+/);
    // A skippable frame whose declared length runs past the end.
    await expectFormatError(spool(Buffer.concat([blob, skippableFrame(1, Buffer.alloc(10)).subarray(0, 12)])), /truncated zstd/);
  });

  it('refuses output beyond maxDecompressedBytes (INPUT_LIMIT) for gzip and zstd', async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    const blobs = [gzipSync(zeros), ...(hasZstd ? [zstdCli(zeros)] : [])];
    for (const blob of blobs) {
      const source = await sourceOf(blob);
      try {
        await spoolDecompressed(source, detectCompression(blob), { tmpDir: spoolDir, maxDecompressedBytes: 1024 * 1024 });
        expect.unreachable();
      } catch (error) {
        expect((error as AmikitError).code, (error as AmikitError).message).toBe('INPUT_LIMIT');
        expect((error as AmikitError).message).toBe('layer.blob: decompresses to more than 1048576 bytes');
      } finally {
        await source.close();
      }
    }
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('hashes an uncompressed source without copying it', async () => {
    const result = await spool(partB);
    expect(result.compressedSha256).toBe(sha256(partB));
    expect(result.decompressedSha256).toBe(sha256(partB));
    expect(result.decompressedBytes).toBe(partB.length);
    await result.source.close();
  });
});
