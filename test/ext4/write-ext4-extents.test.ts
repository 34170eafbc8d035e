// Extent trees at depth 0, 1 and 2, files split around backup superblocks, a 200 GiB sparse file and a
// 100 000-entry htree directory: e2fsck finds nothing, and the mapped bytes are where debugfs says.
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { DataSegment, FileNode } from '../../src/tree/node.js';
import { e2fsck } from '../support/e2fsprogs.js';
import { compareTrees, readImageTreeWithDebugfs } from '../support/tree-facts.js';
import { runOk, toolSkipReason } from '../support/tools.js';
import { buildImage, bytesFile, expectedFacts, meta, PatternSource, treeOf } from './ext4-harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function sparseFile(sizeBytes: number, segments: DataSegment[], seed: number): FileNode {
  const stored = segments.reduce((sum, s) => sum + s.lengthBytes, 0);
  const source = new PatternSource(stored, seed);
  return { kind: 'file', meta: meta(), sizeBytes, segments, content: { kind: 'source', source, offsetBytes: 0, storedBytes: stored } };
}

/** `count` segments of `lengthBytes` every `strideBytes`, starting at `firstBytes`. */
function everyOther(count: number, lengthBytes: number, strideBytes: number, firstBytes = 0): DataSegment[] {
  return Array.from({ length: count }, (_, i) => ({ offsetBytes: firstBytes + i * strideBytes, lengthBytes }));
}

async function debugfs(image: string, request: string): Promise<string> {
  return (await runOk('debugfs', ['-R', request, image])).stdout;
}

/** Extent tree depth as debugfs `ex` shows it (the level count of its first line). */
async function extentDepth(image: string, path: string): Promise<number> {
  const out = await debugfs(image, `ex ${path}`);
  const first = out.split('\n').find((line) => /^\s*\d+\/\s*\d+/.test(line));
  return Number(/\/\s*(\d+)/.exec(first ?? '')?.[1] ?? -1);
}

describe.skipIf(toolSkipReason('e2fsck', 'debugfs'))('extent trees and big files', () => {
  it('maps sparse files at depth 0, 1 and 2 and reads them back', async () => {
    const tree = treeOf({
      '/sparse/depth0': sparseFile(1 * MiB, everyOther(3, 100, 64 * KiB, 5000), 1),
      '/sparse/depth1': sparseFile(64 * MiB, everyOther(20, 4096, 1 * MiB), 2),
      // 4 × 340 = 1360 extents fit depth 1; 1400 separated single blocks need a second index level.
      '/sparse/depth2': sparseFile(1400 * 8192, everyOther(1400, 4096, 8192), 3),
      '/sparse/unaligned': sparseFile(50_000, [{ offsetBytes: 10, lengthBytes: 20 }, { offsetBytes: 4000, lengthBytes: 200 }, { offsetBytes: 49_990, lengthBytes: 10 }], 4),
      '/sparse/all-hole': sparseFile(10 * MiB, [], 5),
    });
    const { path } = await buildImage(tree);
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
    expect((await e2fsck(path, 'preen')).clean).toBe(true);
    expect(await extentDepth(path, '/sparse/depth0')).toBe(0);
    expect(await extentDepth(path, '/sparse/depth1')).toBe(1);
    expect(await extentDepth(path, '/sparse/depth2')).toBe(2);
    expect(compareTrees(await expectedFacts(tree), await readImageTreeWithDebugfs(path), { ignore: (p) => p.startsWith('/lost+found') })).toEqual([]);
  });

  it('splits a 520 MiB file around backup superblocks (groups 1 and 3) and group metadata', async () => {
    const source = new PatternSource(520 * MiB, 9);
    const big: FileNode = { kind: 'file', meta: meta(), sizeBytes: source.sizeBytes, content: { kind: 'source', source, offsetBytes: 0, storedBytes: source.sizeBytes } };
    const tree = treeOf({ '/big': big, '/small': bytesFile(Buffer.from('after')) });
    const { path } = await buildImage(tree);
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
    const extents = await debugfs(path, 'stat /big');
    expect(extents).toContain('32770'); // resumes right after group 1's superblock + GDT backup
    expect(await extentDepth(path, '/big')).toBe(1);
    expect(compareTrees(await expectedFacts(tree), await readImageTreeWithDebugfs(path), { ignore: (p) => p.startsWith('/lost+found') })).toEqual([]);
  });

  it('stores a 200 GiB sparse file in a small filesystem', async () => {
    const segments = [
      { offsetBytes: 0, lengthBytes: 4096 },
      { offsetBytes: 100 * GiB + 123, lengthBytes: 1 * MiB },
      { offsetBytes: 200 * GiB - 10, lengthBytes: 10 },
    ];
    const file = sparseFile(200 * GiB, segments, 11);
    const tree = treeOf({ '/huge': file });
    const { path, result } = await buildImage(tree);
    expect(result.sizeBytes).toBeLessThan(256 * MiB);
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
    expect((await e2fsck(path, 'preen')).clean).toBe(true);
    const stat = await debugfs(path, 'stat /huge');
    expect(stat).toContain(`Size: ${200 * GiB}`);
    // Check every stored segment's bytes at the physical blocks debugfs reports.
    const extents = [...stat.matchAll(/\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?/g)].map((m) => ({
      logical: Number(m[1]),
      count: Number(m[2] ?? m[1]) - Number(m[1]) + 1,
      physical: Number(m[3]),
    }));
    const handle = await open(path, 'r');
    try {
      let storedAt = 0;
      const source = new PatternSource(file.segments!.reduce((s, x) => s + x.lengthBytes, 0), 11);
      for (const segment of segments) {
        const want = Buffer.alloc(segment.lengthBytes);
        await source.readInto(want, 0, segment.lengthBytes, storedAt);
        storedAt += segment.lengthBytes;
        const got = Buffer.alloc(segment.lengthBytes);
        for (let i = 0; i < segment.lengthBytes; ) {
          const logical = segment.offsetBytes + i;
          const block = Math.floor(logical / 4096);
          const extent = extents.find((e) => e.logical <= block && block < e.logical + e.count);
          expect(extent, `block ${block} mapped`).toBeDefined();
          const n = Math.min(segment.lengthBytes - i, 4096 - (logical % 4096));
          await handle.read(got, i, n, (extent!.physical + block - extent!.logical) * 4096 + (logical % 4096));
          i += n;
        }
        expect(got.equals(want)).toBe(true);
      }
    } finally {
      await handle.close();
    }
  });

  it('indexes a 100 000-entry directory as a two-level htree', async () => {
    const dir = { kind: 'dir' as const, meta: meta({ mode: 0o755 }), children: new Map() };
    for (let i = 0; i < 100_000; i++) {
      dir.children.set(`entry-${String(i).padStart(6, '0')}-with-a-longer-name-xxxxxxxxxxxx`, bytesFile(Buffer.alloc(0)));
    }
    const tree = treeOf({ '/big': dir });
    const { path } = await buildImage(tree);
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
    expect((await e2fsck(path, 'preen')).clean).toBe(true);
    const htree = await debugfs(path, 'htree /big');
    expect(htree).toMatch(/Indirect levels: 1/);
    const stat = await debugfs(path, 'stat /big');
    expect(stat).toMatch(/Flags: 0x81000/);
    const listing = await debugfs(path, 'ls -p /big');
    expect(listing.split('\n').filter((line) => line.includes('entry-')).length).toBe(100_000);
  });

  it('stores link count 1 (dir_nlink) for a directory with 65 000 subdirectories', async () => {
    const wide = { kind: 'dir' as const, meta: meta({ mode: 0o755 }), children: new Map() };
    for (let i = 0; i < 65_000; i++) wide.children.set(`d${i}`, { kind: 'dir', meta: meta({ mode: 0o755 }), children: new Map() });
    const tree = treeOf({ '/wide': wide, '/narrow/only': { kind: 'dir', meta: meta(), children: new Map() } });
    const { path } = await buildImage(tree);
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
    expect(await debugfs(path, 'stat /wide')).toMatch(/Links: 1\b/);
    expect(await debugfs(path, 'stat /narrow')).toMatch(/Links: 3\b/);
  });
});
