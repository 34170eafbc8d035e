import { describe, expect, it } from 'vitest';
import { makeTree } from '../customize/op-test-harness.js';
import { cloneTree } from '../tree/clone-tree.js';
import { makeMeta, type FileNode } from '../tree/node.js';
import { diffTrees, firstDifference } from './diff-trees.js';

function base() {
  return makeTree({
    '/etc/hostname': 'host\n',
    '/etc/motd': 'hello\n',
    '/usr/bin/ping': { text: 'ELF', xattrs: { 'security.capability': 'cap1' } },
    '/usr/lib/link': { link: 'target-a' },
    '/var/lib/data/a': 'a',
    '/var/lib/data/b': 'b',
  });
}

function file(sizeBytes: number, stored: Buffer, segments?: FileNode['segments']): FileNode {
  return { kind: 'file', meta: makeMeta({ mode: 0o644 }), sizeBytes, content: { kind: 'bytes', bytes: stored }, ...(segments ? { segments } : {}) };
}

describe('diffTrees', () => {
  it('finds nothing between a tree and its copy, without reading contents', async () => {
    const a = base();
    const result = await diffTrees(a, cloneTree(a));
    expect(result.entries).toEqual([]);
    expect(result.contentComparisons).toBe(0);
  });

  it('reports exactly one same-size content change, a mode-only change and an xattr-only change', async () => {
    const a = base();
    const b = cloneTree(a);
    (b.lookup('/etc/motd') as FileNode).content = { kind: 'bytes', bytes: Buffer.from('hellO\n') };
    b.lookup('/etc/hostname')!.meta.mode = 0o600;
    b.lookup('/usr/bin/ping')!.meta.xattrs.set('security.capability', Buffer.from('cap2'));
    b.lookup('/usr/bin/ping')!.meta.xattrs.set('user.new', Buffer.from('x'));
    const result = await diffTrees(a, b);
    expect(result.entries).toEqual([
      { path: '/etc/hostname', change: 'changed', kindA: 'file', kindB: 'file', aspects: ['mode'], details: ['mode 0644 → 0600'] },
      { path: '/etc/motd', change: 'changed', kindA: 'file', kindB: 'file', aspects: ['content'], details: ['content differs from byte 4'] },
      { path: '/usr/bin/ping', change: 'changed', kindA: 'file', kindB: 'file', aspects: ['xattrs'], details: ['xattr security.capability changed', 'xattr user.new added'] },
    ]);
    expect(result).toMatchObject({ added: 0, removed: 0, changed: 3, contentComparisons: 1 });
  });

  it('reports size, owner, link target, device, type, added and removed subtrees, and mtime on request', async () => {
    const a = base();
    a.set('/dev', { kind: 'dir', meta: makeMeta(), children: new Map() });
    a.set('/dev/null', { kind: 'char-device', meta: makeMeta({ mode: 0o666 }), major: 1, minor: 3 });
    const b = cloneTree(a);
    (b.lookup('/etc/motd') as FileNode).content = { kind: 'bytes', bytes: Buffer.from('hello!\n') };
    (b.lookup('/etc/motd') as FileNode).sizeBytes = 7;
    b.lookup('/etc/hostname')!.meta.uid = 1000;
    (b.lookup('/usr/lib/link') as { target: Buffer }).target = Buffer.from('target-b');
    (b.lookup('/dev/null') as { minor: number }).minor = 5;
    b.remove('/var/lib/data');
    b.set('/var/lib/data', file(1, Buffer.from('x')));
    b.mkdirp('/opt/new/deeper');
    b.lookup('/usr/bin/ping')!.meta.mtime = { sec: 5, nsec: 1 };
    const result = await diffTrees(a, b);
    expect(result.entries.map((e) => [e.path, e.change, e.details ?? e.entriesBelow])).toEqual([
      ['/dev/null', 'changed', ['device 1:3 → 1:5']],
      ['/etc/hostname', 'changed', ['owner 0:0 → 1000:0']],
      ['/etc/motd', 'changed', ['size 6 → 7']],
      ['/opt', 'added', 2],
      ['/usr/lib/link', 'changed', ['target target-a → target-b']],
      ['/var/lib/data', 'changed', ['type dir → file', 'mode 0755 → 0644']],
    ]);
    const withTimes = await diffTrees(a, b, { mtime: true });
    expect(withTimes.entries.find((e) => e.path === '/usr/bin/ping')?.details).toEqual(['mtime 1000.000000000 → 5.000000001']);
    const reverse = await diffTrees(b, a);
    expect(reverse.entries.find((e) => e.path === '/opt')).toMatchObject({ change: 'removed', kindA: 'dir', entriesBelow: 2 });
  });

  it('compares logical bytes: a hole equals written zeros, and a difference after a hole is found', async () => {
    const sparse = file(3 * 1024 * 1024, Buffer.from('AB'), [{ offsetBytes: 0, lengthBytes: 1 }, { offsetBytes: 3 * 1024 * 1024 - 1, lengthBytes: 1 }]);
    const dense = Buffer.alloc(3 * 1024 * 1024);
    dense[0] = 0x41;
    dense[dense.length - 1] = 0x42;
    expect(await firstDifference(sparse, file(dense.length, dense))).toBeUndefined();
    dense[2 * 1024 * 1024 + 7] = 1;
    expect(await firstDifference(sparse, file(dense.length, dense))).toBe(2 * 1024 * 1024 + 7);
  });
});
