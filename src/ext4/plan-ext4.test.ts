// Unit tests of the planner: inode numbering, automatic sizing, NO_SPACE and USAGE errors, geometry
// limits and determinism — everything decided before a byte is written.
import { describe, expect, it } from 'vitest';
import { AmikitError } from '../shared/errors.js';
import { FileTree } from '../tree/file-tree.js';
import { makeMeta, type FileNode } from '../tree/node.js';
import { computeGeometry, defaultJournalBlockCount, hasSuperblockBackup } from './geometry.js';
import { planExt4 } from './plan-ext4.js';

const file = (text: string): FileNode => ({ kind: 'file', meta: makeMeta({ mode: 0o644 }), sizeBytes: text.length, content: { kind: 'bytes', bytes: Buffer.from(text) } });

function sampleTree(): FileTree {
  const tree = new FileTree();
  tree.mkdirp('/b/c');
  tree.mkdirp('/a');
  const shared = file('shared');
  tree.set('/b/c/link2', shared);
  tree.set('/a/link1', shared);
  tree.set('/z', file('z'));
  return tree;
}

describe('planExt4', () => {
  it('numbers root 2, lost+found 11, then walk order with one inode per hard-link group', () => {
    const plan = planExt4(sampleTree(), { timestampSec: 0, seed: 's' });
    const byIno = new Map(plan.inodes.map((p) => [p.ino, p]));
    expect(byIno.get(2)!.kind).toBe('dir');
    expect(byIno.get(8)!.kind).toBe('journal');
    expect(byIno.get(11)!.entries).toEqual([]);
    // walk: /a (12), /a/link1 (13), /b (14), /b/c (15), /b/c/link2 = 13 again, /z (16)
    expect(byIno.get(13)!.linkCount).toBe(2);
    expect(byIno.get(2)!.entries!.map((e) => [e.name.toString(), e.ino])).toEqual([['lost+found', 11], ['a', 12], ['b', 14], ['z', 16]]);
    expect(byIno.get(2)!.linkCount).toBe(2 + 3);
    expect(plan.lastIno).toBe(16);
  });

  it('keeps an existing /lost+found as inode 11 with its contents', () => {
    const tree = sampleTree();
    tree.mkdirp('/lost+found', () => makeMeta({ mode: 0o700 }));
    tree.set('/lost+found/found', file('x'));
    const plan = planExt4(tree, { timestampSec: 0, seed: 's' });
    const lostAndFound = plan.inodes.find((p) => p.ino === 11)!;
    expect(lostAndFound.entries!.map((e) => e.name.toString())).toEqual(['found']);
    expect(plan.inodes.filter((p) => p.kind === 'dir').length).toBe(5);
  });

  it('sizes automatically to whole MiB with at least 16 MiB or a quarter of the content free', () => {
    const plan = planExt4(new FileTree(), { timestampSec: 0, seed: 's' });
    expect(plan.sizeBytes % (1024 * 1024)).toBe(0);
    expect(plan.freeBlockCount).toBeGreaterThanOrEqual(4096);
    expect(plan.reservedBlockCount).toBe(Math.floor(plan.geometry.blockCount / 20));
  });

  it('refuses content that does not fit with the size it needs', () => {
    const tree = new FileTree();
    tree.set('/big', { kind: 'file', meta: makeMeta(), sizeBytes: 40 * 1024 * 1024, content: { kind: 'bytes', bytes: Buffer.alloc(40 * 1024 * 1024, 1) } });
    try {
      planExt4(tree, { timestampSec: 0, sizeBytes: 32 * 1024 * 1024 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AmikitError);
      expect((error as AmikitError).code).toBe('NO_SPACE');
      expect((error as AmikitError).message).toMatch(/^content needs at least (4[1-9]|5\d) MiB \(\d+ blocks of 4 KiB\); --size is 32 MiB$/);
    }
  });

  it('rejects a label over 16 bytes', () => {
    expect(() => planExt4(new FileTree(), { timestampSec: 0, label: 'é'.repeat(9) })).toThrow(AmikitError);
    expect(() => planExt4(new FileTree(), { timestampSec: 0, label: 'x'.repeat(16) })).not.toThrow();
  });

  it('derives the same UUID and hash seed from the same seed, others from another or none', () => {
    const a = planExt4(new FileTree(), { timestampSec: 0, seed: 'one' });
    const b = planExt4(new FileTree(), { timestampSec: 0, seed: 'one' });
    const c = planExt4(new FileTree(), { timestampSec: 0, seed: 'two' });
    const d = planExt4(new FileTree(), { timestampSec: 0 });
    expect(a.uuid.equals(b.uuid) && a.hashSeed.join() === b.hashSeed.join()).toBe(true);
    expect(a.uuid.equals(c.uuid) || a.uuid.equals(d.uuid)).toBe(false);
    expect(a.uuid[6]! >> 4).toBe(8);
    expect(d.uuid[6]! >> 4).toBe(4);
    expect(a.uuid[8]! >> 6).toBe(2);
  });

  it('takes an explicit UUID over the derived one, keeping the seed\'s hash seed; refuses a malformed one', () => {
    const kept = planExt4(new FileTree(), { timestampSec: 0, seed: 'one', uuid: '0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0' });
    const seeded = planExt4(new FileTree(), { timestampSec: 0, seed: 'one' });
    expect(kept.uuid.toString('hex')).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(kept.hashSeed).toEqual(seeded.hashSeed);
    expect(() => planExt4(new FileTree(), { timestampSec: 0, uuid: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' })).toThrow(/invalid filesystem UUID/);
  });
});

describe('geometry', () => {
  it('places backups in groups 0, 1 and powers of 3, 5, 7', () => {
    const groups = Array.from({ length: 130 }, (_, g) => g).filter(hasSuperblockBackup);
    expect(groups).toEqual([0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125]);
  });
  it('follows mke2fs journal sizes', () => {
    expect(defaultJournalBlockCount(6400)).toBe(1024);
    expect(defaultJournalBlockCount(524288)).toBe(16384);
    expect(defaultJournalBlockCount(64 * 1024 * 1024)).toBe(262144);
  });
  it('uses one inode per 16 KiB, a multiple of 16 per group, more when the tree needs them', () => {
    const g = computeGeometry(262144, 100, false);
    expect(g.inodesPerGroup).toBe(8192);
    expect(computeGeometry(262144, 100_000, false).inodesPerGroup).toBe(12512);
    expect(() => computeGeometry(32768, 40_000, false)).toThrow(/do not fit/);
  });
  it('drops a last group too small for its metadata', () => {
    expect(computeGeometry(32768 * 16 + 100, 0, false).blockCount).toBe(32768 * 16);
    expect(computeGeometry(32768 * 2 + 100, 0, false).blockCount).toBe(32768 * 2 + 100);
  });
});
