// Acceptance: flatten of a real Debian rootfs plus an upper layer (replacement, whiteout, opaque dir)
// equals GNU tar's extraction of the base with the upper layer applied by hand, entry by entry.
import { chmod, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { runCli } from '../support/run-cli.js';
import { compareTrees, extractTarWithGnuTar, readHostTree } from '../support/tree-facts.js';
import { rootSkipReason, runOk, tempDir, toolSkipReason } from '../support/tools.js';

const UPPER_MTIME_SEC = 1_700_000_000;

/** Writes the upper layer's files into `dir` (whiteouts included) and returns nothing. */
async function makeUpperLayerDir(dir: string): Promise<void> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'usr/share/doc'), { recursive: true });
  await mkdir(join(dir, 'usr/local/bin'), { recursive: true });
  await writeFile(join(dir, 'etc/hostname'), 'flattened\n');
  await writeFile(join(dir, 'etc/.wh.issue'), '');
  await writeFile(join(dir, 'usr/share/doc/.wh..wh..opq'), '');
  await writeFile(join(dir, 'usr/share/doc/README.amikit'), 'docs were replaced by an opaque directory\n');
  await writeFile(join(dir, 'usr/local/bin/tool'), '#!/bin/sh\necho tool\n');
  await chmod(join(dir, 'usr/local/bin/tool'), 0o4755);
  await symlink('../share/doc/README.amikit', join(dir, 'usr/local/bin/readme'));
}

/** Applies the same changes by hand to an extracted base tree. */
async function applyUpperByHand(root: string, upperTar: string): Promise<void> {
  await rm(join(root, 'etc/issue'), { force: true });
  for (const name of await readdir(join(root, 'usr/share/doc'))) {
    await rm(join(root, 'usr/share/doc', name), { recursive: true, force: true });
  }
  // Then extract the upper layer itself minus its whiteout markers: GNU tar sets exactly its attributes.
  await runOk('tar', ['-xpf', upperTar, '--numeric-owner', '--same-owner', "--exclude=.wh.*", '-C', root]);
}

describe('flatten: Debian rootfs + upper layer', () => {
  let baseTar: string | undefined;
  beforeAll(async () => {
    baseTar = await debianRootfsTar();
  });

  const skip = toolSkipReason('tar', 'getfattr') ?? rootSkipReason('extracting with owners');
  it.skipIf(skip !== undefined)('equals tar -x of the base with the upper layer applied by hand', async (context) => {
    if (!baseTar) return context.skip(debianRootfsSkipReason());
    const work = (await tempDir('debian-flatten')).path;
    const upperDir = join(work, 'upper');
    await makeUpperLayerDir(upperDir);
    const upperTar = join(work, 'upper.tar');
    await runOk('tar', ['--numeric-owner', '--owner=0', '--group=0', `--mtime=@${UPPER_MTIME_SEC}`, '--sort=name', '--format=pax', '-C', upperDir, '-cf', upperTar, '.']);

    const merged = join(work, 'merged.tar');
    const result = await runCli(['flatten', '--layer', baseTar, '--layer', upperTar, '-o', merged, '--json']);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);

    const expectedRoot = join(work, 'expected');
    await mkdir(expectedRoot);
    await extractTarWithGnuTar(baseTar, expectedRoot);
    await applyUpperByHand(expectedRoot, upperTar);

    const actualRoot = join(work, 'actual');
    await mkdir(actualRoot);
    await extractTarWithGnuTar(merged, actualRoot);

    const [expected, actual] = await Promise.all([readHostTree(expectedRoot), readHostTree(actualRoot)]);
    expect(actual.size).toBeGreaterThan(10_000);
    expect(actual.get('/usr/share/doc/README.amikit')).toBeDefined();
    expect(actual.get('/etc/issue')).toBeUndefined();
    expect(compareTrees(expected, actual)).toEqual([]);

    // Determinism: a second flatten is byte-identical.
    const again = join(work, 'again.tar');
    expect((await runCli(['flatten', '--layer', baseTar, '--layer', upperTar, '-o', again])).exitCode).toBe(0);
    const [a, b] = await Promise.all([runOk('sha256sum', [merged]), runOk('sha256sum', [again])]);
    expect(a.stdout.split(' ')[0]).toBe(b.stdout.split(' ')[0]);
  });
});
