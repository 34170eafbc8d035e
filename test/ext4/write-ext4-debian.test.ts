// The writer at full scale: the real Debian rootfs layer (14k entries, 608 MiB, ACLs, capabilities)
// written straight from its tar into ext4 — e2fsck -fn/-fp clean, debugfs and the kernel read back
// exactly the merged tree, in both feature profiles.
import { describe, expect, it } from 'vitest';
import { loadTree } from '../../src/pipeline/load-tree.js';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { e2fsck, loopMount, loopMountSkipReason } from '../support/e2fsprogs.js';
import { compareTrees, readImageTreeWithDebugfs, readMountedTree } from '../support/tree-facts.js';
import { toolSkipReason } from '../support/tools.js';
import { buildImage, expectedFacts } from './ext4-harness.js';

const mountSkip = await loopMountSkipReason();

describe.skipIf(toolSkipReason('e2fsck', 'debugfs', 'getfattr'))('Debian rootfs through the ext4 writer', () => {
  for (const compat of [false, true]) {
    it(`is clean and reads back entry for entry${compat ? ' (compat)' : ''}`, async (ctx) => {
      const tar = await debianRootfsTar();
      if (!tar) return ctx.skip(debianRootfsSkipReason());
      const loaded = await loadTree({ layers: [tar] });
      try {
        const { path, result } = await buildImage(loaded.tree, { compat });
        const check = await e2fsck(path, 'check');
        expect(check.clean, check.output).toBe(true);
        expect((await e2fsck(path, 'preen')).clean).toBe(true);
        const expected = await expectedFacts(loaded.tree);
        expect(expected.size).toBeGreaterThan(14_000);
        const ignore = (p: string): boolean => p.startsWith('/lost+found');
        expect(compareTrees(expected, await readImageTreeWithDebugfs(path), { ignore })).toEqual([]);
        if (!mountSkip) {
          const mounted = await loopMount(path, { readOnly: true });
          try {
            expect(compareTrees(expected, await readMountedTree(mounted.dir), { ignore })).toEqual([]);
          } finally {
            await mounted.unmount();
          }
        }
        expect(result.inodesUsed).toBeGreaterThan(14_000);
      } finally {
        await loaded.close();
      }
    }, 300_000);
  }
});
