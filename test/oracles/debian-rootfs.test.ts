// The oracles at full scale: the real Debian rootfs tar, extracted by GNU tar and made into an image
// by mke2fs -d, reads back the same through debugfs as through the host (14k entries, in seconds).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { e2fsck, makeExt4FromDir } from '../support/e2fsprogs.js';
import { rootSkipReason, tempDir, toolSkipReason } from '../support/tools.js';
import { compareTrees, extractTarWithGnuTar, readHostTree, readImageTreeWithDebugfs } from '../support/tree-facts.js';

const skipReason = rootSkipReason('extracting the Debian rootfs') ?? toolSkipReason('tar', 'mke2fs', 'debugfs', 'e2fsck', 'getfattr');

describe.skipIf(skipReason)('oracles on the Debian rootfs', () => {
  it('debugfs and the host agree on every entry of a mke2fs -d image of it', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const { path } = await tempDir('debian-oracle');
    const root = join(path, 'root');
    await mkdir(root);
    await extractTarWithGnuTar(tar, root);
    const image = join(path, 'debian.ext4');
    await makeExt4FromDir(root, image, '2G');
    expect((await e2fsck(image, 'check')).clean).toBe(true);

    const host = await readHostTree(root);
    const started = performance.now();
    const fromImage = await readImageTreeWithDebugfs(image);
    const seconds = (performance.now() - started) / 1000;
    expect(host.size).toBeGreaterThan(14_000);
    expect([...host.values()].some((entry) => entry.xattrs['system.posix_acl_default'])).toBe(true);
    // mke2fs -d keeps seconds only: the ns mtimes are the GNU tar oracle's business.
    expect(compareTrees(host, fromImage, { ignore: (p) => p === '/lost+found', ignoreFields: ['mtimeNs'] })).toEqual([]);
    console.info(`debugfs read ${fromImage.size} entries in ${seconds.toFixed(1)} s`);
  }, 300_000);
});
