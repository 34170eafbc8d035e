// The smallest filesystem: an empty tree must give an e2fsck-clean ext4 with lost+found and a journal.
import { describe, expect, it } from 'vitest';
import { FileTree } from '../../src/tree/file-tree.js';
import { e2fsck } from '../support/e2fsprogs.js';
import { toolSkipReason } from '../support/tools.js';
import { buildImage } from './ext4-harness.js';

describe.skipIf(toolSkipReason('e2fsck', 'debugfs'))('empty filesystem', () => {
  it('is clean for e2fsck -fn and -fp', async () => {
    const { path, result } = await buildImage(new FileTree());
    const check = await e2fsck(path, 'check');
    expect(check.output).toContain('Pass 5');
    expect(check.clean, check.output).toBe(true);
    expect((await e2fsck(path, 'preen')).clean).toBe(true);
    expect(result.inodesUsed).toBe(11);
  });
});
