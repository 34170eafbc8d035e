// Directory layers: byte-ordered lstat walk, hard links by inode, ns times, special files, raw names.
import { execFileSync } from 'node:child_process';
import { chmod, link, lutimes, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWholeContent } from '../tree/read-content.js';
import { DirectoryLayer, splitDeviceNumber } from './directory-layer.js';
import type { LayerEntry } from './layer.js';
import { mergeLayers } from './merge-layers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-dirlayer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(layer: DirectoryLayer): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for await (const entry of layer.entries()) out.push(entry);
  return out;
}

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('DirectoryLayer', () => {
  it('walks in byte order with hard links, symlinks, ns times and raw names', async () => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'b/sub'), { recursive: true });
    await writeFile(join(root, 'b/sub/f'), 'hello');
    await link(join(root, 'b/sub/f'), join(root, 'a-link'));
    await writeFile(join(root, 'Z'), '');
    await symlink('../../etc/passwd', join(root, 'ln'));
    const raw = Buffer.concat([Buffer.from(root + '/'), Buffer.from([0x6e, 0xff, 0x65])]);
    await writeFile(raw, 'raw');
    await chmod(join(root, 'Z'), 0o4750);
    await utimes(join(root, 'Z'), 1, 1_500_000_000.5);
    await lutimes(join(root, 'ln'), 1, 2);

    const warnings: string[] = [];
    const layer = await DirectoryLayer.open(root, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('extended attributes');
    const entries = await collect(layer);
    expect(entries.map((e) => `${e.path} ${e.type}${e.linkTarget ? ' ' + e.linkTarget : ''}`)).toEqual([
      'Z file',
      'a-link file',
      'b dir',
      'b/sub dir',
      'b/sub/f hardlink a-link',
      'ln symlink ../../etc/passwd',
      'n\xffe file',
    ]);
    const z = entries.find((e) => e.path === 'Z')!;
    expect(z.meta.mode).toBe(0o4750);
    expect(z.meta.mtime).toEqual({ sec: 1_500_000_000, nsec: 500_000_000 });

    const { tree } = await mergeLayers([layer]);
    const rawFile = tree.lookup('/n\xffe');
    expect(rawFile?.kind).toBe('file');
    expect((await readWholeContent(rawFile as never)).toString()).toBe('raw');
    expect(tree.lookup('/b/sub/f')).toBe(tree.lookup('/a-link'));
    expect((await readWholeContent(tree.lookup('/a-link') as never)).toString()).toBe('hello');
    await layer.close();
  });

  it('reports fifos and sockets', async () => {
    const root = join(dir, 'root');
    await mkdir(root);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    try {
      let haveFifo = false;
      if (hasMkfifo()) {
        execFileSync('mkfifo', [join(root, 'fifo')]);
        haveFifo = true;
      }
      const entries = await collect(await DirectoryLayer.open(root));
      expect(entries.find((e) => e.path === 'sock')?.type).toBe('socket');
      if (haveFifo) expect(entries.find((e) => e.path === 'fifo')?.type).toBe('fifo');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('decodes Linux device numbers', () => {
    expect(splitDeviceNumber(0x0103n)).toEqual({ major: 1, minor: 3 });
    expect(splitDeviceNumber(0x0800n)).toEqual({ major: 8, minor: 0 });
    // major 259, minor 65536+5 in the large encoding
    const rdev = (259n & 0xfffn) << 8n | ((65541n & ~0xffn) << 12n) | (65541n & 0xffn);
    expect(splitDeviceNumber(rdev)).toEqual({ major: 259, minor: 65541 });
  });

  it('accepts a symlink to the directory as the layer path', async () => {
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real/f'), 'x');
    await symlink('real', join(dir, 'alias'));
    const entries = await collect(await DirectoryLayer.open(join(dir, 'alias')));
    expect(entries.map((e) => e.path)).toEqual(['f']);
  });

  it('refuses a missing path and a file', async () => {
    await expect(DirectoryLayer.open(join(dir, 'missing'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await writeFile(join(dir, 'f'), 'x');
    await expect(DirectoryLayer.open(join(dir, 'f'))).rejects.toMatchObject({ code: 'INPUT_FORMAT' });
  });
});
