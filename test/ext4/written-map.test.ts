// The written map tells an uploader which blocks to send: every non-zero block of the image must be in
// it, metadata and all-zero file blocks must be marked meaningful, and the journal body left out.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runOk, toolSkipReason } from '../support/tools.js';
import { buildImage } from './ext4-harness.js';
import { allKindsTree } from './fixture-trees.js';

async function blocksOf(image: string, path: string): Promise<number[]> {
  return (await runOk('debugfs', ['-R', `blocks ${path}`, image])).stdout.trim().split(/\s+/).map(Number);
}

describe.skipIf(toolSkipReason('debugfs'))('written map', () => {
  it('covers every non-zero block and marks the blocks whose zeros matter', async () => {
    const { path, result } = await buildImage(allKindsTree());
    const image = await readFile(path);
    const flagOf = new Map<number, boolean>();
    let previousEnd = 0;
    for (const range of result.writtenMap) {
      expect(range.startBlock).toBeGreaterThanOrEqual(previousEnd);
      previousEnd = range.startBlock + range.blockCount;
      for (let b = range.startBlock; b < previousEnd; b++) flagOf.set(b, range.meaningfulZeros);
    }
    const zero = Buffer.alloc(4096);
    for (let b = 0; b < result.blockCount; b++) {
      if (!image.subarray(b * 4096, (b + 1) * 4096).equals(zero)) expect(flagOf.has(b), `non-zero block ${b} not in the map`).toBe(true);
    }
    expect(flagOf.get(0)).toBe(true); // primary superblock
    for (const b of await blocksOf(path, '/files/zeros')) expect(flagOf.get(b)).toBe(true);
    for (const b of await blocksOf(path, '/files/b4096')) expect(flagOf.get(b)).toBe(false);
    for (const b of await blocksOf(path, '/files')) expect(flagOf.get(b)).toBe(true); // directory block
    const journal = await blocksOf(path, '<8>');
    expect(flagOf.get(journal[0]!)).toBe(true); // jbd2 superblock
    expect(journal.slice(1).some((b) => flagOf.has(b))).toBe(false);
    const groups = (await runOk('dumpe2fs', [path])).stdout;
    const table = /Inode table at (\d+)-(\d+)/.exec(groups)!;
    for (let b = Number(table[1]); b <= Number(table[2]); b++) expect(flagOf.get(b)).toBe(true);
  });
});
