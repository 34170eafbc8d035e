import { describe, expect, it } from 'vitest';
import { FileTree } from './file-tree.js';
import { makeMeta } from './node.js';
import { clampTimes } from './clamp-times.js';

describe('clampTimes', () => {
  it('clamps only times newer than the epoch, keeping older ones (including pre-1970) exact', () => {
    const tree = new FileTree();
    tree.root.meta = makeMeta({ mtime: { sec: 2_000_000_000, nsec: 5 } });
    tree.set('/old', { kind: 'fifo', meta: makeMeta({ mtime: { sec: -86_400, nsec: 123 } }) });
    tree.set('/edge', { kind: 'fifo', meta: makeMeta({ mtime: { sec: 1_000, nsec: 1 } }) });
    tree.set('/exact', { kind: 'fifo', meta: makeMeta({ mtime: { sec: 1_000, nsec: 0 } }) });
    expect(clampTimes(tree, 1_000)).toBe(2);
    expect(tree.root.meta.mtime).toEqual({ sec: 1_000, nsec: 0 });
    expect(tree.lookup('/old')!.meta.mtime).toEqual({ sec: -86_400, nsec: 123 });
    expect(tree.lookup('/edge')!.meta.mtime).toEqual({ sec: 1_000, nsec: 0 });
    expect(tree.lookup('/exact')!.meta.mtime).toEqual({ sec: 1_000, nsec: 0 });
  });
});
