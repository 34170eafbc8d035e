// Proves the debugfs tree reader against the host directory a mke2fs -d image was made from, and
// against the kernel's own view of that image through a read-only loop mount; and that
// compareTrees reports a single changed mode or byte.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopMount, loopMountSkipReason, makeExt4FromDir } from '../support/e2fsprogs.js';
import { makeSampleTree, sampleTreeSkipReason } from '../support/sample-tree.js';
import { toolSkipReason, tempDir, type TempDir } from '../support/tools.js';
import { compareTrees, readHostTree, readImageTreeWithDebugfs, readMountedTree, type TreeFacts } from '../support/tree-facts.js';

const NS_PER_SECOND = 1_000_000_000n;
const notLostFound = (path: string): boolean => path === '/lost+found';

// struct timespec seconds: floor, also for times before 1970.
function floorSeconds(ns: bigint): bigint {
  const quotient = ns / NS_PER_SECOND;
  return ns % NS_PER_SECOND < 0n ? quotient - 1n : quotient;
}

const skipReason = sampleTreeSkipReason() ?? toolSkipReason('mke2fs', 'debugfs', 'getfattr');

describe.skipIf(skipReason)('debugfs tree reader', () => {
  let work: TempDir | undefined;
  let source: string;
  let image: string;
  let host: TreeFacts;
  let fromImage: TreeFacts;

  // Registered before the set-up can fail, so a failed set-up still removes its files.
  afterAll(() => work?.cleanup());

  beforeAll(async () => {
    work = await tempDir('debugfs-oracle');
    source = join(work.path, 'source');
    await mkdir(source);
    await makeSampleTree(source);
    image = join(work.path, 'image.ext4');
    await makeExt4FromDir(source, image);
    host = await readHostTree(source);
    fromImage = await readImageTreeWithDebugfs(image);
  });

  it('reads back every entry, owner, mode, xattr, ACL, device, link and byte of a mke2fs -d image', () => {
    expect(host.size).toBeGreaterThan(40);
    expect(compareTrees(host, fromImage, { ignore: notLostFound, ignoreFields: ['mtimeNs'] })).toEqual([]);
  });

  it('reads mtimes as mke2fs 1.47 stored them: seconds only, low 32 bits after 2038', () => {
    const differences: string[] = [];
    for (const [path, want] of host) {
      if (path === '/') continue; // mke2fs stamps the root with its own clock
      const wantSeconds = floorSeconds(want.mtimeNs);
      const gotNs = fromImage.get(path)!.mtimeNs;
      // 1.47.0 keeps no ns and drops the epoch bits; a later mke2fs that keeps the full seconds is accepted too.
      const accepted = [wantSeconds * NS_PER_SECOND, BigInt.asIntN(32, wantSeconds) * NS_PER_SECOND];
      if (!accepted.includes(gotNs)) differences.push(`${path}: ${want.mtimeNs} read back as ${gotNs}`);
    }
    expect(differences).toEqual([]);
    expect(fromImage.get('/old/before-1970')!.mtimeNs).toBe(-315619200n * NS_PER_SECOND);
  });

  it('sees hard links, fast and slow symlinks, and big device numbers', () => {
    expect(fromImage.get('/links/second-name')!.hardLinkGroup).toBe('/files/third-name\n/links/original\n/links/second-name');
    expect(fromImage.get('/links/slow-symlink')!.linkTarget).toBe(`${'long-target/'.repeat(10)}end`);
    expect(fromImage.get('/links/fast-symlink')).toMatchObject({ linkTarget: 'original', xattrs: { 'trusted.on-symlink': '796573' } });
    expect(fromImage.get('/devices/nvme-like')).toMatchObject({ type: 'block-device', major: 259, minor: 1048575 });
    expect(fromImage.get('/devices/socket')!.type).toBe('socket');
    expect(fromImage.get('/perms/big-ids-link')).toMatchObject({ uid: 4000000000, gid: 4000000001 });
  });

  it('reports one changed mode and one changed byte, and nothing else', async () => {
    await chmod(join(source, 'files/hello.txt'), 0o600);
    await writeFile(join(source, 'files/empty'), 'x');
    const changed = await readHostTree(source);
    expect(compareTrees(changed, fromImage, { ignore: notLostFound, ignoreFields: ['mtimeNs'] })).toEqual([
      '/files/empty: size expected 1, got 0',
      expect.stringMatching(/^\/files\/empty: sha256 expected "[0-9a-f]{64}", got "e3b0c442[0-9a-f]{56}"$/),
      '/files/hello.txt: mode expected 384, got 420',
    ]);
  });

  it('agrees field for field with the kernel reading the same image (loop mount)', async (ctx) => {
    const reason = await loopMountSkipReason();
    if (reason) return ctx.skip(reason);
    const mount = await loopMount(image, { readOnly: true });
    const kernel = await readMountedTree(mount.dir);
    expect(compareTrees(kernel, fromImage)).toEqual([]);
  });
});
