// Unit tests of the coalescing writer: merged pwrites, zero padding inside blocks only, never a write
// outside the blocks asked for, and the flush listener's view of what was written.
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
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
});
