// Extended attributes: in-inode, spilling into a block shared by identical sets (refcount), POSIX ACLs
// converted to the on-disk form, security.capability and security.selinux byte-exact — checked by
// e2fsck, by debugfs and by the kernel (getfattr on a read-only mount).
import { describe, expect, it } from 'vitest';
import { e2fsck, loopMount, loopMountSkipReason } from '../support/e2fsprogs.js';
import { compareTrees, readImageTreeWithDebugfs, readMountedTree } from '../support/tree-facts.js';
import { runOk, tempDir, toolSkipReason } from '../support/tools.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage, expectedFacts } from './ext4-harness.js';
import { xattrTree } from './xattr-tree.js';

const mountSkip = (await loopMountSkipReason()) ?? toolSkipReason('getfattr');

describe.skipIf(toolSkipReason('e2fsck', 'debugfs'))('extended attributes', () => {
  for (const compat of [false, true]) {
    it(`are e2fsck-clean and read back byte-exact through debugfs${compat ? ' (compat)' : ''}`, async () => {
      const tree = xattrTree(false);
      const { path } = await buildImage(tree, { compat });
      const check = await e2fsck(path, 'check');
      expect(check.clean, check.output).toBe(true);
      expect((await e2fsck(path, 'preen')).clean).toBe(true);
      expect(compareTrees(await expectedFacts(tree), await readImageTreeWithDebugfs(path), { ignore: (p) => p.startsWith('/lost+found') })).toEqual([]);
      const fileAcl = async (p: string): Promise<number> => Number(/File ACL: (\d+)/.exec((await runOk('debugfs', ['-R', `stat ${p}`, path])).stdout)![1]);
      const shared = await fileAcl('/x/spill1');
      expect(shared).toBeGreaterThan(0);
      expect(await fileAcl('/x/spill2')).toBe(shared);
      expect(await fileAcl('/x/spill-other')).not.toBe(shared);
      expect(await fileAcl('/x/inline')).toBe(0);
    });
  }

  it('keeps NUL-terminated SELinux labels byte-exact (debugfs ea_get)', async () => {
    const tree = xattrTree(true);
    const { path } = await buildImage(tree);
    expect((await e2fsck(path, 'check')).clean).toBe(true);
    const dir = (await tempDir('ext4-ea-get')).path;
    for (const [file, node] of [['/', tree.root], ['/x/spill1', tree.lookup('/x/spill1')!], ['/x/link', tree.lookup('/x/link')!]] as const) {
      const out = join(dir, 'value');
      await runOk('debugfs', ['-R', `ea_get -f ${out} ${file} security.selinux`, path]);
      expect((await readFile(out)).equals(node.meta.xattrs.get('security.selinux')!)).toBe(true);
    }
  });

  it.skipIf(mountSkip)('the kernel reads the same attributes and ACLs (read-only mount, getfattr)', async () => {
    const tree = xattrTree();
    const { path } = await buildImage(tree);
    const mounted = await loopMount(path, { readOnly: true });
    try {
      expect(compareTrees(await expectedFacts(tree), await readMountedTree(mounted.dir), { ignore: (p) => p.startsWith('/lost+found') })).toEqual([]);
    } finally {
      await mounted.unmount();
    }
  });
});
