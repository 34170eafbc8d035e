// Acceptance: flatten of a real Debian rootfs plus an upper layer (replacement, whiteout, opaque dir)
// equals GNU tar's extraction of the base with the upper layer applied by hand, entry by entry.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { extractBaseWithUpperByHand, makeDebianUpperLayer } from '../support/debian-upper-layer.js';
import { runCli } from '../support/run-cli.js';
import { compareTrees, extractTarWithGnuTar, readHostTree } from '../support/tree-facts.js';
import { rootSkipReason, runOk, tempDir, toolSkipReason } from '../support/tools.js';

describe('flatten: Debian rootfs + upper layer', () => {
  let baseTar: string | undefined;
  beforeAll(async () => {
    baseTar = await debianRootfsTar();
  });

  const skip = toolSkipReason('tar', 'getfattr', 'sha256sum') ?? rootSkipReason('extracting with owners');
  it.skipIf(skip !== undefined)('equals tar -x of the base with the upper layer applied by hand', async (context) => {
    if (!baseTar) return context.skip(debianRootfsSkipReason());
    const work = (await tempDir('debian-flatten')).path;
    const upperTar = await makeDebianUpperLayer(work);

    const merged = join(work, 'merged.tar');
    const result = await runCli(['flatten', '--layer', baseTar, '--layer', upperTar, '-o', merged, '--json']);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);

    const expectedRoot = join(work, 'expected');
    await extractBaseWithUpperByHand(baseTar, upperTar, expectedRoot);
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
