import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { packageCaches } from './package-caches.js';

describe('package-caches', () => {
  it('removes cached packages and metadata, keeps directories and apt lists', async () => {
    const tree = makeTree({
      '/var/cache/apt/archives/curl_8.deb': 'x',
      '/var/cache/apt/archives/partial': { dir: true },
      '/var/cache/apt/pkgcache.bin': 'x',
      '/var/cache/dnf/fedora/repodata/repomd.xml': 'x',
      '/var/cache/zypp/packages/a.rpm': 'x',
      '/var/lib/rpm/__db.001': 'x',
      '/var/lib/rpm/rpmdb.sqlite': 'keep',
      '/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease': 'keep',
    });
    await runOps([packageCaches], tree);
    expect([...tree.walk()].filter((e) => e.node.kind === 'file').map((e) => e.path)).toEqual(['/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease', '/var/lib/rpm/rpmdb.sqlite']);
    expect(tree.dir('/var/cache/apt/archives/partial')).toBeDefined();
    await expectIdempotent(packageCaches, tree);
  });
});
