// Differential tests: each native kernel against its JS reference on random and edge inputs. They
// skip (with the reason) only when the addon is absent — and never in CI, where .ci/run builds it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32c as crc32cReference } from '../../src/kernels/crc32c.js';
import { nativeAddon } from '../../src/kernels/native-addon.js';
import { dataExtents } from '../../src/kernels/sparse-extents.js';
import { crc32c, kernelReport } from '../../src/kernels/index.js';

const { addon, reason } = nativeAddon();

function requireAddon(ctx: { skip(note?: string): never }) {
  if (addon) return addon;
  if (process.env['CI']) throw new Error(`the native addon must build in CI: ${reason}`);
  return ctx.skip(`native addon absent: ${reason}`);
}

/** A deterministic generator so a failure reproduces (no wall clock, no Math.random). */
function* lengths(): Generator<number> {
  yield* [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023, 1024, 4095, 4096, 4097, 65536, 1 << 20];
  let state = 12345;
  for (let i = 0; i < 200; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    yield state % 20000;
  }
}

describe('native crc32c equals the JS reference', () => {
  it('matches the standard check value', (ctx) => {
    const native = requireAddon(ctx);
    expect((~native.crc32c(0xffffffff, Buffer.from('123456789')) >>> 0).toString(16)).toBe('e3069283');
  });

  it('on random data of edge and random lengths, seeds and unaligned offsets', (ctx) => {
    const native = requireAddon(ctx);
    const pool = randomBytes((1 << 20) + 64);
    let seed = 0xffffffff;
    let offset = 0;
    for (const length of lengths()) {
      const data = pool.subarray(offset % 8, (offset % 8) + length);
      expect(native.crc32c(seed, data)).toBe(crc32cReference(seed, data));
      seed = crc32cReference(seed, data) ^ 0x5a5a5a5a;
      offset++;
    }
  });

  it('on all-zero, all-ones and chained inputs', (ctx) => {
    const native = requireAddon(ctx);
    for (const fill of [0x00, 0xff]) {
      const data = Buffer.alloc(4096 + 5, fill);
      for (const seed of [0, 0xffffffff, 0x12345678]) expect(native.crc32c(seed, data)).toBe(crc32cReference(seed, data));
    }
    const a = randomBytes(1001);
    const b = randomBytes(3000);
    expect(native.crc32c(native.crc32c(0xffffffff, a), b)).toBe(crc32cReference(0xffffffff, Buffer.concat([a, b])));
  });

  it('is the one the kernels index picks', (ctx) => {
    requireAddon(ctx);
    expect(kernelReport()[0]).toMatch(/^crc32c: native/);
    const data = randomBytes(5000);
    for (const length of [0, 1, 127, 128, 129, 5000]) expect(crc32c(7, data.subarray(0, length))).toBe(crc32cReference(7, data.subarray(0, length)));
  });
});

describe('native sparse extents cover every non-zero byte', () => {
  it('on a file with data at edges, in the middle and a hole at the end', async (ctx) => {
    requireAddon(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'amikit-extents-'));
    try {
      const path = join(dir, 'sparse.img');
      const size = 9 * 1024 * 1024 + 4096;
      const handle = await open(path, 'w+');
      await handle.truncate(size);
      const writes: [number, number][] = [[0, 10], [3 * 1024 * 1024 + 100, 5000], [size - 4096 * 3, 1]];
      for (const [at, length] of writes) await handle.write(randomBytes(length).map((x) => x | 1), 0, length, at);
      const extents = dataExtents(handle.fd, size, path);
      await handle.close();
      const bytes = await readFile(path);
      const covered = new Uint8Array(size);
      for (const extent of extents) covered.fill(1, extent.offsetBytes, extent.offsetBytes + extent.lengthBytes);
      for (let i = 0; i < size; i++) if (bytes[i] !== 0 && !covered[i]) throw new Error(`byte ${i} is data outside every extent`);
      // Holes were found: far less than the whole file is reported as data.
      expect(extents.reduce((sum, e) => sum + e.lengthBytes, 0)).toBeLessThan(size / 2);
      for (let i = 1; i < extents.length; i++) expect(extents[i]!.offsetBytes).toBeGreaterThan(extents[i - 1]!.offsetBytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an empty file and a bad descriptor', (ctx) => {
    requireAddon(ctx);
    expect(dataExtents(-1, 0)).toEqual([]);
    expect(() => dataExtents(-1, 4096, 'bad')).toThrow(/errno 9/);
  });
});

describe('native block hash equals node:crypto SHA-256 and xxhash-wasm XXH64', () => {
  it('on edge and random lengths, unaligned views and without the SHA-256 output', async (ctx) => {
    const native = requireAddon(ctx);
    const { createHash } = await import('node:crypto');
    const { default: xxhash } = await import('xxhash-wasm');
    const { h64Raw } = await xxhash();
    const pool = randomBytes((1 << 20) + 64);
    let offset = 0;
    for (const length of [...lengths(), 524288]) {
      const data = pool.subarray(offset % 8, (offset % 8) + length);
      const digest = Buffer.alloc(32);
      expect(native.hashBlock(data, digest)).toBe(h64Raw(data));
      expect(digest.equals(createHash('sha256').update(data).digest())).toBe(true);
      expect(native.hashBlock(data, null)).toBe(h64Raw(data));
      offset++;
    }
    expect(native.hashBlock(Buffer.alloc(524288), null)).toBe(h64Raw(Buffer.alloc(524288)));
    expect(() => native.hashBlock(Buffer.alloc(8), Buffer.alloc(31))).toThrow(/32 bytes/);
  });
});
