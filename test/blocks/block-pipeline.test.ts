// The block pipeline end to end on sparse raw images: per-block SHA-256 and the LINEAR aggregate
// against Node crypto over the raw file, the sparse raw sink keeps holes, the seekable .img.zst
// restores byte for byte with `zstd -d` and reads single blocks, and the manifest matches the image.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawImageSource } from '../../src/blocks/block-source.js';
import { pumpBlocks } from '../../src/blocks/block-sink.js';
import type { BlockManifest } from '../../src/blocks/block-manifest.js';
import { streamBlocks } from '../../src/blocks/stream-blocks.js';
import { BLOCK_WRITTEN } from '../../src/blocks/block-plan.js';
import { RawImageSink } from '../../src/sinks/raw-image-sink.js';
import { SeekableZstdSink } from '../../src/sinks/seekable-zstd-sink.js';
import { SeekableZstdReader } from '../../src/sinks/seekable-zstd-reader.js';
import { nativeAddon } from '../../src/kernels/native-addon.js';
import { EBS_BLOCK_SIZE_BYTES as BLOCK, MiB } from '../../src/shared/units.js';
import { toolSkipReason } from '../support/tools.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-blocks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A sparse image: random blocks, a compressible block, a written all-zero block, holes, a short tail. */
async function makeSparseImage(path: string, sizeBytes: number): Promise<void> {
  const handle = await open(path, 'w');
  await handle.truncate(sizeBytes);
  await handle.write(randomBytes(BLOCK), 0, BLOCK, 0);
  await handle.write(Buffer.alloc(BLOCK, 'amikit '), 0, BLOCK, 3 * BLOCK);
  await handle.write(randomBytes(1000), 0, 1000, 5 * BLOCK + 4096); // block 5 mostly zero
  await handle.write(Buffer.alloc(BLOCK), 0, BLOCK, 7 * BLOCK); // allocated zeros: a hole for a zero scan
  const tail = sizeBytes - 40 * BLOCK;
  await handle.write(randomBytes(tail), 0, tail, 40 * BLOCK);
  await handle.close();
}

function nodeDigests(image: Buffer): { perBlock: Map<number, string>; aggregate: string } {
  const perBlock = new Map<number, string>();
  const linear = createHash('sha256');
  for (let index = 0; index * BLOCK < image.length; index++) {
    const block = Buffer.alloc(BLOCK);
    image.copy(block, 0, index * BLOCK, Math.min(image.length, (index + 1) * BLOCK));
    if (block.equals(Buffer.alloc(BLOCK))) continue;
    const digest = createHash('sha256').update(block).digest();
    perBlock.set(index, digest.toString('base64'));
    linear.update(digest);
  }
  return { perBlock, aggregate: linear.digest('base64') };
}

describe('block pipeline on a sparse raw image', () => {
  const sizeBytes = 40 * BLOCK + 123_457; // short last block

  it('hashes every data block like Node crypto and aggregates LINEAR over the raw digests', async () => {
    const input = join(dir, 'in.img');
    await makeSparseImage(input, sizeBytes);
    const expected = nodeDigests(await readFile(input));
    const source = await RawImageSource.open(input);
    const result = await pumpBlocks(source, [], { manifestPath: join(dir, 'm.json'), workerCount: 2, slotCount: 3, batchBlocks: 1 });
    await source.close();
    expect(result.aggregateSha256).toBe(expected.aggregate);
    expect(result.writtenBlockCount).toBe(expected.perBlock.size);
    expect(result.blockCount).toBe(41);
    const manifest = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8')) as BlockManifest;
    expect(manifest.aggregateSha256).toBe(expected.aggregate);
    expect(manifest.imageSizeBytes).toBe(sizeBytes);
    expect(new Map(manifest.blocks.map((b) => [b.index, b.sha256]))).toEqual(expected.perBlock);
    expect(manifest.blocks.every((b) => /^[0-9a-f]{16}$/.test(b.xxh64))).toBe(true);
  });

  it('reports holes (never read or all zeros) and keeps block order with few slots', async () => {
    const input = join(dir, 'in.img');
    await makeSparseImage(input, sizeBytes);
    const source = await RawImageSource.open(input);
    const seen: { index: number; isHole: boolean }[] = [];
    for await (const block of streamBlocks(source, { workerCount: 2, slotCount: 2, batchBlocks: 2 })) seen.push({ index: block.index, isHole: block.isHole });
    await source.close();
    expect(seen.map((b) => b.index)).toEqual([...Array(41).keys()]);
    expect(seen.filter((b) => !b.isHole).map((b) => b.index)).toEqual([0, 3, 5, 40]);
  });

  it('writes a sparse raw copy whose holes stay holes and whose bytes equal the input', async () => {
    const input = join(dir, 'in.img');
    const output = join(dir, 'out.img');
    await makeSparseImage(input, sizeBytes);
    const source = await RawImageSource.open(input);
    await pumpBlocks(source, [await RawImageSink.create(output, sizeBytes)]);
    await source.close();
    expect((await readFile(output)).equals(await readFile(input))).toBe(true);
    const info = await stat(output);
    expect(info.size).toBe(sizeBytes);
    // 4 data blocks (the tail short): allocated ≈ 3.25 blocks, far below the 20 MiB apparent size.
    expect(info.blocks * 512).toBeLessThanOrEqual(4 * BLOCK);
  });

  it('writes a seekable .img.zst that zstd -d restores byte for byte and that reads any block alone', async (ctx) => {
    const input = join(dir, 'in.img');
    const output = join(dir, 'out.img.zst');
    await makeSparseImage(input, sizeBytes);
    const raw = await readFile(input);
    const source = await RawImageSource.open(input);
    await pumpBlocks(source, [await SeekableZstdSink.create(output, { zstdLevel: 3 })]);
    await source.close();

    const reader = await SeekableZstdReader.open(output);
    expect(reader.sizeBytes).toBe(sizeBytes);
    for (const index of [40, 0, 17, 5, 3, 39, 7]) {
      expect((await reader.readBlock(index)).equals(raw.subarray(index * BLOCK, (index + 1) * BLOCK))).toBe(true);
    }
    // Reading back through the stream: the same digests as the raw image, holes from zero frames.
    const back = await pumpBlocks(reader, []);
    expect(back.aggregateSha256).toBe(nodeDigests(raw).aggregate);
    await reader.close();

    const skip = toolSkipReason('zstd');
    if (skip) return ctx.skip(skip);
    const restored = join(dir, 'restored.img');
    execFileSync('zstd', ['-q', '-d', output, '-o', restored]);
    expect((await readFile(restored)).equals(raw)).toBe(true);
  });

  it('writes the same .img.zst when the sink retains every slot as when slots are plenty (background writes)', async () => {
    const input = join(dir, 'in.img');
    await makeSparseImage(input, sizeBytes);
    const outputs = [];
    // slotCount 3 becomes the minimum (one batch + the sink's retained blocks): the stream then waits
    // for the sink's background writes to release slots.
    for (const options of [{}, { workerCount: 2, slotCount: 3, batchBlocks: 1 }]) {
      const output = join(dir, `out-${outputs.length}.img.zst`);
      const source = await RawImageSource.open(input);
      await pumpBlocks(source, [await SeekableZstdSink.create(output, { zstdLevel: 1 })], options);
      await source.close();
      outputs.push(await readFile(output));
    }
    expect(outputs[1]!.equals(outputs[0]!)).toBe(true);
    const reader = await SeekableZstdReader.open(join(dir, 'out-1.img.zst'));
    const raw = await readFile(input);
    for (let index = 0; index * BLOCK < sizeBytes; index++) {
      expect((await reader.readBlock(index)).equals(raw.subarray(index * BLOCK, Math.min(sizeBytes, (index + 1) * BLOCK)))).toBe(true);
    }
    await reader.close();
  });

  it('reads ahead only the workers\' share of slots while the consumer retains blocks', async () => {
    // An upload retains each block until its request is answered (up to 256 of them): the stream must
    // not fill the retained share of the slots with read-ahead, which would only touch memory.
    const blockCount = 200;
    const readAt: number[] = [];
    const source = {
      plan: { sizeBytes: blockCount * BLOCK, blockCount, states: new Uint8Array(blockCount).fill(BLOCK_WRITTEN) },
      async read(index: number, target: Buffer, lengthBytes: number): Promise<void> {
        readAt.push(index);
        target.fill(index % 251, 0, lengthBytes);
      },
      async close(): Promise<void> {},
    };
    const options = { workerCount: 2, batchBlocks: 4, retainedBlocks: 64 };
    const readAhead = 2 * 2 * 4; // the default workers' share: two batches per worker
    const held: (() => void)[] = [];
    let yielded = 0;
    let mostAhead = 0;
    for await (const block of streamBlocks(source, options)) {
      expect(block.data![0]).toBe(block.index % 251);
      yielded++;
      mostAhead = Math.max(mostAhead, readAt.length - yielded);
      held.push(block.retain!());
      if (held.length === 64) held.splice(0, 32).forEach((release) => release());
    }
    held.forEach((release) => release());
    expect([...readAt].sort((a, b) => a - b)).toEqual(Array.from({ length: blockCount }, (_, i) => i));
    expect(mostAhead).toBeGreaterThan(0);
    expect(mostAhead).toBeLessThanOrEqual(readAhead);
  });

  it('a corrupted frame fails its seek-table checksum on read', async () => {
    const input = join(dir, 'in.img');
    const output = join(dir, 'out.img.zst');
    await makeSparseImage(input, sizeBytes);
    const source = await RawImageSource.open(input);
    await pumpBlocks(source, [await SeekableZstdSink.create(output, { zstdLevel: 1 })]);
    await source.close();
    const bytes = await readFile(output);
    bytes[200] = bytes[200]! ^ 0xff; // inside frame 0 (random data is stored raw)
    await writeFile(output, bytes);
    const reader = await SeekableZstdReader.open(output);
    await expect(reader.readBlock(0)).rejects.toThrow(/frame 0/);
    await reader.close();
  });

  it('finds the data of a large sparse file without reading its holes (SEEK_DATA)', async (ctx) => {
    if (!nativeAddon().addon) return ctx.skip(`native addon absent: ${nativeAddon().reason}`);
    const input = join(dir, 'big.img');
    const handle = await open(input, 'w');
    await handle.truncate(64 * 1024 * MiB); // 64 GiB apparent, 2 blocks of data
    await handle.write(randomBytes(4096), 0, 4096, 10 * 1024 * MiB);
    await handle.write(randomBytes(4096), 0, 4096, 64 * 1024 * MiB - 4096);
    await handle.close();
    const source = await RawImageSource.open(input);
    const data: number[] = [];
    for await (const block of streamBlocks(source)) if (!block.isHole) data.push(block.index);
    await source.close();
    expect(data).toEqual([(10 * 1024 * MiB) / BLOCK, (64 * 1024 * MiB) / BLOCK - 1]);
  });
});

describe('block pipeline failures', () => {
  it('a read failure in a worker surfaces as an IO error naming the block', async () => {
    const input = join(dir, 'in.img');
    await writeFile(input, randomBytes(2 * BLOCK));
    const source = await RawImageSource.open(input);
    // A source whose descriptor is a directory: the worker's read fails with EISDIR.
    const dirHandle = await open(dir, 'r');
    const broken = { plan: source.plan, fd: dirHandle.fd, read: () => Promise.resolve(), close: () => Promise.resolve() };
    await expect(pumpBlocks(broken, [])).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/blocks? 0/) });
    await dirHandle.close();
    await source.close();
  });
});
