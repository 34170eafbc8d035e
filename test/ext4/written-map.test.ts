// The written map tells an uploader which blocks to send: every non-zero block of the image must be in
// it, metadata and all-zero file blocks must be marked meaningful, and the journal body left out.
import { createCipheriv } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2fsck, loopMount, loopMountSkipReason } from '../support/e2fsprogs.js';
import { compareTrees, readMountedTree } from '../support/tree-facts.js';
import { runOk, toolSkipReason } from '../support/tools.js';
import { buildImage, expectedFacts } from './ext4-harness.js';

const mountSkip = (await loopMountSkipReason()) ?? toolSkipReason('e2fsck', 'getfattr');
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
    // metadata_csum: only the table blocks holding used inodes (bg_itable_unused covers the rest).
    const usedTableBlocks = Math.ceil(result.inodesUsed / 16);
    for (let b = Number(table[1]); b <= Number(table[2]); b++) {
      expect(flagOf.get(b)).toBe(b < Number(table[1]) + usedTableBlocks ? true : undefined);
    }
  });

  it.skipIf(mountSkip)('is enough: garbage in every unlisted block (an encrypted EBS restore) stays clean and usable', async () => {
    for (const compat of [false, true]) {
      const tree = allKindsTree();
      const { path, result } = await buildImage(tree, { compat, sizeBytes: 512 * 1024 * 1024 });
      // Deterministic garbage: AES-CTR keystream over every block the map does not list.
      const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 9));
      const handle = await open(path, 'r+');
      try {
        let cursor = 0;
        const fill = async (start: number, end: number): Promise<void> => {
          for (let b = start; b < end; b += 256) {
            const n = Math.min(256, end - b);
            await handle.write(cipher.update(Buffer.alloc(n * 4096)), 0, n * 4096, b * 4096);
          }
        };
        for (const range of result.writtenMap) {
          await fill(cursor, range.startBlock);
          cursor = range.startBlock + range.blockCount;
        }
        await fill(cursor, result.blockCount);
      } finally {
        await handle.close();
      }
      const check = await e2fsck(path, 'check');
      expect(check.clean, check.output).toBe(true);
      const mounted = await loopMount(path, { readOnly: false });
      try {
        expect(compareTrees(await expectedFacts(tree), await readMountedTree(mounted.dir), { ignore: (p) => p.startsWith('/lost+found') })).toEqual([]);
        for (let d = 0; d < 20; d++) {
          await mkdir(join(mounted.dir, `new${d}`));
          for (let f = 0; f < 200; f++) await writeFile(join(mounted.dir, `new${d}`, `f${f}`), `content ${d}/${f}`);
        }
        await writeFile(join(mounted.dir, 'big-new'), Buffer.alloc(20 * 1024 * 1024, 3));
      } finally {
        await mounted.unmount();
      }
      const after = await e2fsck(path, 'check');
      expect(after.clean, after.output).toBe(true);
    }
  });
});
