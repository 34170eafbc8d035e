// Unit tests of the coalescing writer: merged pwrites, zero padding inside blocks only, never a write
// outside the blocks asked for, and the flush listener's view of what was written.
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoalescingWriter } from './coalescing-writer.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('CoalescingWriter', () => {
  it('merges adjacent writes, pads within blocks, and skips whole blocks untouched', async () => {
    dir = await mkdtemp(join(tmpdir(), 'amikit-coalesce-'));
    const path = join(dir, 'out');
    const handle = await open(path, 'w+');
    await handle.write(Buffer.alloc(10 * 4096, 0xee), 0, 10 * 4096, 0);
    const flushes: [number, number][] = [];
    const writer = new CoalescingWriter(handle, 0, (startBlock, bytes) => flushes.push([startBlock, bytes.length / 4096]), 4 * 4096);
    await writer.write(100, Buffer.from('a')); // block 0, bytes before become zeros
    await writer.write(4096 + 5, Buffer.from('b')); // next block: same pwrite
    await writer.write(5 * 4096, Buffer.from('c')); // gap of whole blocks: new pwrite
    await writer.write(2 * 4096, Buffer.from('d')); // behind: new pwrite
    await writer.close();
    await handle.close();
    expect(flushes).toEqual([[0, 2], [5, 1], [2, 1]]);
    const bytes = await readFile(path);
    expect(bytes[100]).toBe(0x61);
    expect(bytes[99]).toBe(0);
    expect(bytes[4096 + 5]).toBe(0x62);
    expect(bytes[3 * 4096]).toBe(0xee); // never touched
    expect(bytes[4 * 4096]).toBe(0xee);
    expect(bytes[5 * 4096]).toBe(0x63);
    expect(bytes[6 * 4096]).toBe(0xee);
  });

  it('splits at the buffer size', async () => {
    dir = await mkdtemp(join(tmpdir(), 'amikit-coalesce-'));
    const handle = await open(join(dir, 'out'), 'w+');
    const flushes: number[] = [];
    const writer = new CoalescingWriter(handle, 4096, (startBlock) => flushes.push(startBlock), 2 * 4096);
    await writer.write(0, Buffer.alloc(5 * 4096, 1));
    await writer.close();
    await handle.close();
    expect(flushes).toEqual([0, 2, 4]);
  });

  it('writes through an O_DIRECT handle, byte-identical to buffered writes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'amikit-coalesce-'));
    const write = async (name: string, direct: boolean): Promise<Buffer> => {
      const path = join(dir!, name);
      const handle = await open(path, 'w+');
      await handle.truncate(64 * 4096);
      const directHandle = direct ? await open(path, constants.O_WRONLY | constants.O_DIRECT) : undefined;
      const writer = new CoalescingWriter(handle, 4096, () => undefined, 4 * 4096, directHandle);
      await writer.write(4096 + 17, Buffer.alloc(9000, 7));
      await writer.write(20 * 4096, Buffer.alloc(3 * 4096 + 1, 9));
      await writer.close();
      await directHandle?.close();
      await handle.close();
      return readFile(path);
    };
    const buffered = await write('buffered', false);
    expect(buffered[4096 + 4096 + 17]).toBe(7);
    expect(await write('direct', true)).toEqual(buffered);
  });

  it('falls back to buffered writes when the direct handle refuses (EINVAL), losing nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'amikit-coalesce-'));
    const path = join(dir, 'out');
    const handle = await open(path, 'w+');
    let refusals = 0;
    const refusing = {
      write: async () => {
        refusals++;
        throw Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
      },
    } as unknown as FileHandle;
    const writer = new CoalescingWriter(handle, 0, () => undefined, 2 * 4096, refusing);
    await writer.write(0, Buffer.alloc(5 * 4096, 3));
    await writer.close();
    await handle.close();
    expect(refusals).toBe(1); // the first refusal switches the writer over for good
    expect(await readFile(path)).toEqual(Buffer.alloc(5 * 4096, 3));
  });

  it('fails on any other direct-write error instead of hiding it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'amikit-coalesce-'));
    const handle = await open(join(dir, 'out'), 'w+');
    const failing = {
      write: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    } as unknown as FileHandle;
    const writer = new CoalescingWriter(handle, 0, () => undefined, 2 * 4096, failing);
    await expect(
      (async () => {
        await writer.write(0, Buffer.alloc(5 * 4096, 3));
        await writer.close();
      })(),
    ).rejects.toThrow(/ENOSPC/);
    await handle.close();
  });
});
