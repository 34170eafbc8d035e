// Acceptance: `amikit build` of the real Debian rootfs plus an upper layer is judged by e2fsprogs
// (e2fsck -fn and -fp, debugfs entry by entry, resize2fs) and by the kernel (loop mounts), and is
// byte-identical across runs.
import { appendFile, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { extractBaseWithUpperByHand, makeDebianUpperLayer } from '../support/debian-upper-layer.js';
import { dumpe2fsHeader, e2fsck, loopMount } from '../support/e2fsprogs.js';
import { runCli } from '../support/run-cli.js';
import { compareTrees, readHostTree, readImageTreeWithDebugfs, type TreeFacts } from '../support/tree-facts.js';
import { loopMountSkipReason, rootSkipReason, runOk, tempDir, toolSkipReason } from '../support/tools.js';

// The determinism builds clamp times to a fixed past epoch; the build compared with the expected tree
// sets none, so every file time stays exact.
const EPOCH_ENV = { SOURCE_DATE_EPOCH: '1700000000' };
const PROFILE = ['has_journal', 'ext_attr', 'dir_index', 'filetype', 'extent', '64bit', 'flex_bg', 'sparse_super', 'large_file', 'huge_file', 'dir_nlink', 'extra_isize', 'metadata_csum'];
const notLostFound = (path: string): boolean => path === '/lost+found' || path.startsWith('/lost+found/');

describe('build: Debian rootfs + upper layer', () => {
  let work = '';
  let image = '';
  let expected: TreeFacts = new Map();
  let ready: string | undefined = 'not built';

  beforeAll(async () => {
    const base = await debianRootfsTar();
    if (!base) return;
    const reason = toolSkipReason('tar', 'getfattr', 'debugfs', 'e2fsck', 'resize2fs', 'sha256sum') ?? rootSkipReason('extracting the expected tree');
    if (reason) return;
    const dir = await tempDir('debian-build');
    work = dir.path;
    const upper = await makeDebianUpperLayer(work);
    image = join(work, 'root.img');
    const built = await runCli(['build', '--layer', base, '--layer', upper, '-o', image, '--seed', 'debian', '--label', 'root']);
    if (built.exitCode !== 0) throw new Error(`amikit build failed: ${built.stderr}`);
    // Two builds with SOURCE_DATE_EPOCH for the determinism check.
    for (const name of ['epoch-a.img', 'epoch-b.img']) {
      const again = await runCli(['build', '--layer', base, '--layer', upper, '-o', join(work, name), '--seed', 'debian', '--label', 'root'], EPOCH_ENV);
      if (again.exitCode !== 0) throw new Error(`amikit build with SOURCE_DATE_EPOCH failed: ${again.stderr}`);
    }
    await extractBaseWithUpperByHand(base, upper, join(work, 'expected'));
    expected = await readHostTree(join(work, 'expected'));
    ready = undefined;
    return () => dir.cleanup();
  }, 900_000);

  const skipReason = (): string => (ready === 'not built' ? debianRootfsSkipReason() : ready ?? '');

  it('passes e2fsck -fn without a complaint and e2fsck -fp', async (context) => {
    if (ready) return context.skip(skipReason());
    const check = await e2fsck(image, 'check');
    expect(check.output).toMatch(/Pass 5/);
    expect(check.clean, check.output).toBe(true);
    const preen = await e2fsck(image, 'preen');
    expect(preen.clean, preen.output).toBe(true);
  });

  it('reads back through debugfs exactly as the expected tree, entry by entry', async (context) => {
    if (ready) return context.skip(skipReason());
    const actual = await readImageTreeWithDebugfs(image);
    expect(actual.size).toBeGreaterThan(13_000);
    expect(compareTrees(expected, actual, { ignore: notLostFound })).toEqual([]);
  });

  it('shows the feature profile in dumpe2fs -h', async (context) => {
    if (ready) return context.skip(skipReason());
    const { features, fields } = await dumpe2fsHeader(image);
    expect([...features].sort()).toEqual([...PROFILE].sort());
    expect(fields['Filesystem volume name']).toBe('root');
  });

  it('is byte-identical when built twice from the same inputs, seed and SOURCE_DATE_EPOCH', async (context) => {
    if (ready) return context.skip(skipReason());
    const [a, b] = await Promise.all([runOk('sha256sum', [join(work, 'epoch-a.img')]), runOk('sha256sum', [join(work, 'epoch-b.img')])]);
    expect(a.stdout.split(' ')[0]).toBe(b.stdout.split(' ')[0]);
    expect((await e2fsck(join(work, 'epoch-a.img'), 'check')).clean).toBe(true);
  });

  it('grows 4x with resize2fs and stays e2fsck-clean', async (context) => {
    if (ready) return context.skip(skipReason());
    const grown = join(work, 'grown.img');
    await runOk('cp', ['--sparse=always', image, grown]);
    const { fields } = await dumpe2fsHeader(grown);
    const sizeBytes = Number(fields['Block count']) * Number(fields['Block size']);
    await truncate(grown, sizeBytes * 4);
    const resize = await runOk('resize2fs', [grown]);
    expect(resize.stdout + resize.stderr).toMatch(/is now \d+ \(4k\) blocks long/);
    const check = await e2fsck(grown, 'check');
    expect(check.clean, check.output).toBe(true);
    await rm(grown);
  });

  it('is read by the kernel as the same tree, and survives read-write use', async (context) => {
    if (ready) return context.skip(skipReason());
    const reason = await loopMountSkipReason();
    if (reason) return context.skip(reason);
    const readOnly = await loopMount(image, { readOnly: true });
    const mounted = await readHostTree(readOnly.dir);
    await readOnly.unmount();
    expect(compareTrees(expected, mounted, { ignore: notLostFound })).toEqual([]);

    const copy = join(work, 'rw.img');
    await runOk('cp', ['--sparse=always', image, copy]);
    const rw = await loopMount(copy, { readOnly: false });
    await mkdir(join(rw.dir, 'srv/new'), { recursive: true });
    await writeFile(join(rw.dir, 'srv/new/file'), Buffer.alloc(3 * 1024 * 1024, 7));
    await appendFile(join(rw.dir, 'etc/hostname'), 'appended\n');
    await rm(join(rw.dir, 'usr/share/zoneinfo'), { recursive: true, force: true });
    await rw.unmount();
    const check = await e2fsck(copy, 'check');
    expect(check.clean, check.output).toBe(true);
    const after = await loopMount(copy, { readOnly: true });
    expect(await readFile(join(after.dir, 'etc/hostname'), 'utf8')).toBe('flattened\nappended\n');
    await after.unmount();
    await rm(copy);
  });
});
