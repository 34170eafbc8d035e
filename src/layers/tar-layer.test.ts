// Tar layers: PAX/GNU attributes reach the merged tree intact (long names, xattrs, ns times, large ids,
// sparse maps, raw names), and file contents are references into the tar that read back exactly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPaxLayer } from '../../fixtures/layers/pax-layer.js';
import type { ByteSource } from '../tree/byte-source.js';
import type { FileNode, SymlinkNode } from '../tree/node.js';
import { readWholeContent } from '../tree/read-content.js';
import { mergeLayers } from './merge-layers.js';
import { TarLayer } from './tar-layer.js';

function memorySource(name: string, bytes: Buffer): ByteSource & { reads: number } {
  return {
    name,
    sizeBytes: bytes.length,
    reads: 0,
    async readInto(target, targetOffset, lengthBytes, offsetBytes) {
      this.reads++;
      bytes.copy(target, targetOffset, offsetBytes, offsetBytes + lengthBytes);
    },
    async close() {},
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-tar-layer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TarLayer', () => {
  it('carries PAX attributes into the tree and references file data in place', async () => {
    const longDir = 'usr/' + 'd'.repeat(120);
    const rawName = Buffer.from([0x6e, 0xe9, 0xff]).toString('latin1');
    const cap = Buffer.from('0100000200100000000000000000000000000000', 'hex');
    const tar = await buildPaxLayer([
      { path: `${longDir}/`, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: { sec: 1, nsec: 0 } },
      {
        path: `${longDir}/ping`,
        type: 'file',
        mode: 0o4755,
        uid: 3_000_000,
        gid: 4_000_000,
        mtime: { sec: 1_700_000_000, nsec: 123_456_789 },
        xattrs: new Map([
          ['security.capability', cap],
          ['user.comment', Buffer.from('hi')],
        ]),
        data: Buffer.from('PING'),
      },
      { path: rawName, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: { sec: 0, nsec: 0 }, data: Buffer.from('raw') },
      {
        path: 'sparse',
        type: 'file',
        mode: 0o600,
        uid: 0,
        gid: 0,
        mtime: { sec: 0, nsec: 0 },
        sizeBytes: 1 << 20,
        segments: [{ offsetBytes: 4096, lengthBytes: 3 }],
        data: Buffer.from('abc'),
      },
      { path: 'link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: { sec: 0, nsec: 0 }, linkTarget: 't'.repeat(200) },
      { path: 'hard', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: { sec: 0, nsec: 0 }, linkTarget: rawName },
    ]);
    const source = memorySource('pax.tar', tar);
    const layer = new TarLayer(source);
    const { tree } = await mergeLayers([layer]);
    const readsWhileMerging = source.reads;

    const ping = tree.lookup(`/${longDir}/ping`) as FileNode;
    expect(ping.kind).toBe('file');
    expect(ping.meta).toMatchObject({ mode: 0o4755, uid: 3_000_000, gid: 4_000_000, mtime: { sec: 1_700_000_000, nsec: 123_456_789 } });
    expect(ping.meta.xattrs.get('security.capability')).toEqual(cap);
    expect(ping.meta.xattrs.get('user.comment')).toEqual(Buffer.from('hi'));
    expect((await readWholeContent(ping)).toString()).toBe('PING');

    const sparse = tree.lookup('/sparse') as FileNode;
    expect(sparse.sizeBytes).toBe(1 << 20);
    expect(sparse.segments).toEqual([{ offsetBytes: 4096, lengthBytes: 3 }]);
    expect((await readWholeContent(sparse)).toString()).toBe('abc');

    expect((tree.lookup('/link') as SymlinkNode).target.toString()).toBe('t'.repeat(200));
    expect(tree.lookup('/hard')).toBe(tree.lookup(`/${rawName}`));
    expect((await readWholeContent(tree.lookup('/hard') as FileNode)).toString()).toBe('raw');

    // Merging walked headers only: the data reads above came after it.
    expect(source.reads).toBeGreaterThan(readsWhileMerging);
  });

  it('yields entries in batches of 256, in archive order, the last one cut where the archive ends', async () => {
    const members = Array.from({ length: 600 }, (_, i) => ({
      path: `f${i}`,
      type: 'file' as const,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: { sec: 0, nsec: 0 },
      data: Buffer.from(String(i)),
    }));
    const layer = new TarLayer(memorySource('many.tar', await buildPaxLayer(members)));
    const sizes: number[] = [];
    const paths: string[] = [];
    for await (const batch of layer.entryBatches()) {
      sizes.push(batch.length);
      for (const entry of batch) paths.push(entry.path);
    }
    expect(sizes).toEqual([256, 256, 88]);
    expect(paths).toEqual(members.map((m) => m.path));
  });

  it('names the layer and header offset in each entry', async () => {
    const tar = await buildPaxLayer([
      { path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: { sec: 0, nsec: 0 }, data: Buffer.from('x') },
      { path: 'b', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: { sec: 0, nsec: 0 }, data: Buffer.from('y') },
    ]);
    const layer = new TarLayer(memorySource('base.tar', tar));
    const wheres: string[] = [];
    for await (const batch of layer.entryBatches()) for (const entry of batch) wheres.push(entry.where);
    expect(wheres).toEqual(['base.tar: offset 0', 'base.tar: offset 1024']);
  });
});
