import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmikitError } from '../../shared/errors.js';
import { nativeAddon } from '../../kernels/native-addon.js';
import { FileByteSource } from './file-byte-source.js';
import { LazyFileByteSource } from './lazy-file-byte-source.js';
import { SliceByteSource } from './slice-byte-source.js';

let dir: string;
let path: string;
const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-bytes-'));
  path = join(dir, 'data.bin');
  await writeFile(path, content);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AmikitError);
    return [(error as AmikitError).code, (error as AmikitError).message];
  }
  throw new Error('expected a rejection');
}

describe('FileByteSource', () => {
  it('passes read-ahead advice to the kernel (posix_fadvise through the addon), and ignores it once closed', async (ctx) => {
    const addon = nativeAddon().addon;
    if (!addon) return ctx.skip(`native addon not in use: ${nativeAddon().reason}`);
    const handle = await open(path, 'r');
    expect(addon.adviseWillNeed(handle.fd, 0, 1000)).toBe(0);
    await handle.close();
    expect(addon.adviseWillNeed(-1, 0, 1000)).toBe(9); // EBADF: the call reaches the kernel
    const source = await FileByteSource.open(path, 'layer.tar');
    source.adviseWillNeed(0, 1000);
    await source.close();
    expect(() => source.adviseWillNeed(0, 1000)).not.toThrow();
  });

  it('reads ranges positionally and reports its size', async () => {
    const source = await FileByteSource.open(path, 'layer.tar');
    expect(source.sizeBytes).toBe(1000);
    const target = Buffer.alloc(20);
    await Promise.all([source.readInto(target, 0, 10, 990), source.readInto(target, 10, 10, 0)]);
    expect(target.subarray(0, 10)).toEqual(content.subarray(990));
    expect(target.subarray(10)).toEqual(content.subarray(0, 10));
    await source.close();
    await source.close();
    expect((await codeOf(source.readInto(target, 0, 1, 0)))[0]).toBe('INTERNAL');
  });

  it('reports a short read at the end as truncated, naming the source and offset', async () => {
    const source = await FileByteSource.open(path, 'layer.tar');
    const [code, message] = await codeOf(source.readInto(Buffer.alloc(20), 0, 20, 990));
    expect(code).toBe('INPUT_FORMAT');
    expect(message).toBe('layer.tar: truncated at offset 990 (wanted 20 bytes)');
    await source.close();
  });

  it('reports a missing file as INPUT_NOT_FOUND', async () => {
    expect((await codeOf(FileByteSource.open(join(dir, 'absent'))))[0]).toBe('INPUT_NOT_FOUND');
  });
});

describe('SliceByteSource', () => {
  it('reads inside its window and refuses to read past it', async () => {
    const parent = await FileByteSource.open(path);
    const slice = new SliceByteSource(parent, 100, 50, 'image.tar:abc/layer.tar');
    const target = Buffer.alloc(50);
    await slice.readInto(target, 0, 50, 0);
    expect(target).toEqual(content.subarray(100, 150));
    const [code, message] = await codeOf(slice.readInto(target, 0, 2, 49));
    expect(code).toBe('INPUT_FORMAT');
    expect(message).toBe('image.tar:abc/layer.tar: truncated at offset 49 (wanted 2 bytes)');
    await slice.close();
    await parent.readInto(target, 0, 1, 0); // the parent stays open
    await parent.close();
  });

  it('forwards read-ahead advice to its parent, shifted into and clipped to its window', async () => {
    const advised: [number, number][] = [];
    const parent = { name: 'p', sizeBytes: 1000, readInto: async () => undefined, close: async () => undefined, adviseWillNeed: (o: number, l: number) => void advised.push([o, l]) };
    const slice = new SliceByteSource(parent, 100, 50, 'image.tar:abc/layer.tar');
    slice.adviseWillNeed(10, 1000);
    slice.adviseWillNeed(50, 10);
    await slice.close();
    slice.adviseWillNeed(0, 10);
    expect(advised).toEqual([[110, 40]]);
  });

  it('refuses a window beyond the parent', async () => {
    const parent = await FileByteSource.open(path);
    expect(() => new SliceByteSource(parent, 990, 20, 'm')).toThrow(/truncated/);
    await parent.close();
  });
});

describe('LazyFileByteSource', () => {
  it('holds no descriptor until read and releases it after the last byte', async () => {
    const source = new LazyFileByteSource(path, 1000, 'dir/data.bin');
    expect(source.isOpen).toBe(false);
    const target = Buffer.alloc(500);
    await source.readInto(target, 0, 500, 0);
    expect(source.isOpen).toBe(true);
    await source.readInto(target, 0, 500, 500);
    expect(target).toEqual(content.subarray(500));
    expect(source.isOpen).toBe(false);
    await source.readInto(target, 0, 10, 0); // reopens
    expect(source.isOpen).toBe(true);
    await source.close();
    expect(source.isOpen).toBe(false);
    expect((await codeOf(source.readInto(target, 0, 1, 0)))[0]).toBe('INTERNAL');
  });

  it('reports a file that shrank since the scan as truncated', async () => {
    const source = new LazyFileByteSource(path, 2000, 'dir/data.bin');
    const [code, message] = await codeOf(source.readInto(Buffer.alloc(100), 0, 100, 950));
    expect(code).toBe('INPUT_FORMAT');
    expect(message).toBe('dir/data.bin: truncated at offset 950 (wanted 100 bytes)');
    await source.close();
    expect(source.isOpen).toBe(false);
  });

  it('reports a vanished file as INPUT_NOT_FOUND', async () => {
    const source = new LazyFileByteSource(join(dir, 'gone'), 10);
    expect((await codeOf(source.readInto(Buffer.alloc(1), 0, 1, 0)))[0]).toBe('INPUT_NOT_FOUND');
    expect(source.isOpen).toBe(false);
  });
});
