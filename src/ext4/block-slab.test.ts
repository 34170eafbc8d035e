import { describe, expect, it } from 'vitest';
import { BlockSlab } from './block-slab.js';
import { buildDirBlocks, buildPlannedDirBlocks, planDirBlocks, type DirBlocksOptions } from './format/dir-blocks.js';

describe('BlockSlab', () => {
  it('hands out distinct zeroed blocks, across slabs, and zeroes them again after reset', () => {
    const slab = new BlockSlab(4096);
    const first = Array.from({ length: 150 }, (_, i) => {
      const block = slab.block();
      expect(block.length).toBe(4096);
      expect(block.every((byte) => byte === 0)).toBe(true);
      block.fill(i + 1);
      return block;
    });
    // Writing one block touched no other: every block still holds its own fill byte.
    first.forEach((block, i) => expect(block.every((byte) => byte === i + 1)).toBe(true));
    slab.reset();
    const again = Array.from({ length: 150 }, () => slab.block());
    again.forEach((block) => expect(block.every((byte) => byte === 0)).toBe(true));
    // The same memory is reused: the first round's blocks now read as zeros too.
    expect(first[149]!.every((byte) => byte === 0)).toBe(true);
  });

  it('gives directories the same bytes as fresh buffers, for linear and hashed directories', () => {
    const options: DirBlocksOptions = {
      blockSizeBytes: 4096,
      dirInode: 12,
      parentInode: 2,
      hashVersion: 'half_md4',
      hashSeed: [1, 2, 3, 4],
      signedChars: false,
      checksum: { fsSeed: 0xdeadbeef, inodeGeneration: 0 },
    };
    const slab = new BlockSlab(4096);
    for (const count of [3, 2000, 9]) {
      const entries = Array.from({ length: count }, (_, i) => ({ name: `entry-${i}`, inode: 100 + i, fileType: 1 }));
      const expected = buildDirBlocks(entries, options).blocks;
      // Dirty the slab first: the blocks must come back cleared.
      slab.reset();
      for (let i = 0; i < 100; i++) slab.block().fill(0xff);
      slab.reset();
      const built = buildPlannedDirBlocks(planDirBlocks(entries, options), () => slab.block()).blocks;
      expect(Buffer.concat(built).equals(Buffer.concat(expected))).toBe(true);
    }
  });
});
