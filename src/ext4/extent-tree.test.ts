// Unit tests of extent-tree shaping: minimal depth, full leaves, and mapping logical ranges to runs.
import { describe, expect, it } from 'vitest';
import { buildExtentTree, extentTreeBlockCount, mapExtents } from './extent-tree.js';
import { decodeExtentNode } from './format/extent.js';

describe('extent trees', () => {
  it('needs no block up to 4 extents, then one per 340 leaves per level', () => {
    expect(extentTreeBlockCount(4)).toBe(0);
    expect(extentTreeBlockCount(5)).toBe(1);
    expect(extentTreeBlockCount(1360)).toBe(4);
    expect(extentTreeBlockCount(1361)).toBe(5 + 1);
    expect(extentTreeBlockCount(340 * 340 * 4)).toBe(340 * 4 + 4);
  });

  it('builds a depth-2 tree whose leaves hold each extent at its own physical block', () => {
    const extents = Array.from({ length: 1400 }, (_, i) => ({ logicalBlock: 2 * i, physicalBlock: 1_000_000 + 7 * i, blockCount: 1 }));
    const blocks = Array.from({ length: extentTreeBlockCount(1400) }, (_, i) => 500 + i);
    const tree = buildExtentTree(extents, blocks, 0x1234);
    const root = decodeExtentNode(tree.iBlock);
    expect(root.depth).toBe(2);
    const leaves = tree.nodes.map((n) => decodeExtentNode(n.bytes)).filter((n) => n.depth === 0);
    expect(leaves.map((l) => l.leaves.length)).toEqual([340, 340, 340, 340, 40]);
    expect(leaves.flatMap((l) => l.leaves)).toEqual(extents);
  });

  it('cuts runs at range, run and 32768-block boundaries and merges continuations', () => {
    const extents = mapExtents(
      [{ logicalBlock: 0, blockCount: 40000 }, { logicalBlock: 50000, blockCount: 10 }],
      [{ startBlock: 100, blockCount: 30000 }, { startBlock: 30100, blockCount: 10000 }, { startBlock: 90000, blockCount: 10 }],
    );
    expect(extents).toEqual([
      { logicalBlock: 0, physicalBlock: 100, blockCount: 32768 },
      { logicalBlock: 32768, physicalBlock: 32868, blockCount: 7232 },
      { logicalBlock: 50000, physicalBlock: 90000, blockCount: 10 },
    ]);
  });
});
