// The real Debian rootfs tar as the base layer, under an upper layer that whites out, makes opaque and
// hard-links into it: the merged tree must hold exactly GNU tar's member names, minus what is hidden.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLayerTar, f, hl, wh } from '../../fixtures/layers/layer-tar.js';
import { mergeLayers } from '../../src/layers/merge-layers.js';
import { openLayers } from '../../src/layers/open-layers.js';
import { readWholeContent } from '../../src/tree/read-content.js';
import type { FileNode } from '../../src/tree/node.js';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { runOk, tempDir, toolSkipReason } from '../support/tools.js';

function normalise(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return '/' + parts.join('/');
}

describe('merge over the Debian rootfs', () => {
  it('keeps every member GNU tar lists, except what the upper layer hides', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const missing = toolSkipReason('tar');
    if (missing) return ctx.skip(missing);
    const dir = await tempDir('amikit-debian-merge-');

    const listed = await runOk('tar', ['--quoting-style=literal', '-tf', tar], { timeoutMs: 120_000 });
    const names = new Set(
      listed.stdoutBytes
        .toString('latin1')
        .split('\n')
        .filter((l) => l !== '')
        .map(normalise),
    );
    names.add('/');

    const upper = join(dir.path, 'upper.tar');
    await writeFile(
      upper,
      buildLayerTar([
        wh('usr/share/doc/.wh..wh..opq'),
        f('usr/share/doc/README', 'docs removed'),
        wh('etc/.wh.shadow'),
        hl('shadow-copy', 'etc/shadow'),
        f('etc/os-release', 'amikit'),
      ]),
    );
    const opened = await openLayers([tar, upper], { tmpDir: dir.path });
    try {
      const { tree } = await mergeLayers(opened.layers);
      const expected = new Set([...names].filter((n) => !n.startsWith('/usr/share/doc/') && n !== '/etc/shadow'));
      expected.add('/usr/share/doc/README');
      expected.add('/shadow-copy');
      const merged = new Set<string>();
      for (const { path } of tree.walk()) merged.add(path);
      const onlyMerged = [...merged].filter((p) => !expected.has(p));
      const onlyExpected = [...expected].filter((p) => !merged.has(p));
      expect(onlyMerged.slice(0, 10)).toEqual([]);
      expect(onlyExpected.slice(0, 10)).toEqual([]);
      expect((await readWholeContent(tree.lookup('/shadow-copy') as FileNode)).toString()).toMatch(/^root:/);
      const osRelease = tree.lookup('/etc/os-release');
      // os-release is a symlink in Debian; the upper file replaces it.
      expect(osRelease?.kind).toBe('file');
    } finally {
      await opened.close();
    }
  });
});
