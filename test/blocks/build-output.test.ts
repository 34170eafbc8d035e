// `amikit build` through the block pipeline: `.img` stays byte-identical with or without a manifest,
// `.img.zst` restores to the same bytes with `zstd -d`, and the manifest matches the image.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockManifest } from '../../src/blocks/block-manifest.js';
import { buildImage, type BuildImageOptions } from '../../src/pipeline/build-image.js';
import { SeekableZstdReader } from '../../src/sinks/seekable-zstd-reader.js';
import { EBS_BLOCK_SIZE_BYTES as BLOCK } from '../../src/shared/units.js';
import { toolSkipReason } from '../support/tools.js';

let dir: string;
let layer: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-build-output-'));
  layer = join(dir, 'layer');
  await mkdir(join(layer, 'etc'), { recursive: true });
  await writeFile(join(layer, 'etc/hostname'), 'amikit\n');
  await writeFile(join(layer, 'random.bin'), randomBytes(3 * BLOCK + 777));
  await writeFile(join(layer, 'zeros.bin'), Buffer.alloc(2 * BLOCK));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(outputPath: string, extra: Partial<BuildImageOptions> = {}): BuildImageOptions {
  return { layers: [layer], outputPath, sizeBytes: 64 * 1024 * 1024, seed: 'blocks', sourceDateEpochSec: 1_700_000_000, ...extra };
}

describe('build output through the block pipeline', () => {
  it('.img is byte-identical with and without --manifest, and the manifest matches the image', async () => {
    await buildImage(options(join(dir, 'plain.img')));
    const result = await buildImage(options(join(dir, 'with.img'), { manifestPath: join(dir, 'with.json') }));
    const image = await readFile(join(dir, 'with.img'));
    expect(image.equals(await readFile(join(dir, 'plain.img')))).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, 'with.json'), 'utf8')) as BlockManifest;
    const listed = new Set(manifest.blocks.map((b) => b.index));
    const linear = createHash('sha256');
    for (const entry of manifest.blocks) {
      const digest = createHash('sha256').update(image.subarray(entry.index * BLOCK, (entry.index + 1) * BLOCK)).digest();
      expect(entry.sha256).toBe(digest.toString('base64'));
      linear.update(digest);
    }
    expect(manifest.aggregateSha256).toBe(linear.digest('base64'));
    expect(result.blocks?.aggregateSha256).toBe(manifest.aggregateSha256);
    // Every block holding a non-zero byte is listed (unlisted blocks are holes).
    for (let index = 0; index * BLOCK < image.length; index++) {
      if (!listed.has(index)) expect(image.subarray(index * BLOCK, (index + 1) * BLOCK).equals(Buffer.alloc(BLOCK))).toBe(true);
    }
    // The superblock's block is written and its zeros matter.
    expect(manifest.blocks[0]).toMatchObject({ index: 0, meaningfulZeros: true });
    const info = await stat(join(dir, 'with.img'));
    expect(info.blocks * 512).toBeLessThan(info.size / 2);
  });

  it('.img.zst restores with zstd -d to the .img bytes and reads single blocks', async (ctx) => {
    const zst = join(dir, 'root.img.zst');
    await buildImage(options(zst, { zstdLevel: 1 }));
    const image = await readFile(join(dir, 'plain.img'));
    const reader = await SeekableZstdReader.open(zst);
    expect(reader.sizeBytes).toBe(image.length);
    for (const index of [0, 1, 127, 50, 2]) {
      expect((await reader.readBlock(index)).equals(image.subarray(index * BLOCK, (index + 1) * BLOCK))).toBe(true);
    }
    await reader.close();
    expect((await stat(zst)).size).toBeLessThan(image.length / 4);
    const skip = toolSkipReason('zstd');
    if (skip) return ctx.skip(skip);
    execFileSync('zstd', ['-q', '-d', zst, '-o', join(dir, 'restored.img')]);
    expect((await readFile(join(dir, 'restored.img'))).equals(image)).toBe(true);
  });
});
