// The debugfs reader decodes xattr values that debugfs prints with octal escapes (NUL-terminated SELinux
// labels, backslashes) byte-exactly, and a changed byte shows as a difference.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeExt4FromDir } from '../support/e2fsprogs.js';
import { compareTrees, readHostTree, readImageTreeWithDebugfs } from '../support/tree-facts.js';
import { rootSkipReason, runOk, tempDir, toolSkipReason } from '../support/tools.js';

describe.skipIf(toolSkipReason('mke2fs', 'debugfs', 'setfattr', 'getfattr') ?? rootSkipReason('setting security xattrs'))('debugfs xattr escapes', () => {
  it('reads NUL and backslash bytes in printable xattr values exactly', async () => {
    const work = (await tempDir('debugfs-escapes')).path;
    const src = join(work, 'src');
    await mkdir(src);
    await writeFile(join(src, 'labelled'), 'x');
    await runOk('setfattr', ['-n', 'security.selinux', '-v', '0x73797374656d5f753a6f626a6563745f723a6574635f743a733000', join(src, 'labelled')]);
    await runOk('setfattr', ['-n', 'user.path', '-v', '0x615c625c5c63', join(src, 'labelled')]);
    const image = join(work, 'fs.img');
    await makeExt4FromDir(src, image);
    const actual = await readImageTreeWithDebugfs(image);
    expect(actual.get('/labelled')?.xattrs).toEqual({
      'security.selinux': '73797374656d5f753a6f626a6563745f723a6574635f743a733000',
      'user.path': '615c625c5c63',
    });
    const expected = await readHostTree(src);
    expect(compareTrees(expected, actual, { ignore: (p) => p === '/' || p.startsWith('/lost+found'), ignoreFields: ['mtimeNs'] })).toEqual([]);
    expected.get('/labelled')!.xattrs['user.path'] = '615c625c5c64';
    expect(compareTrees(expected, actual, { ignore: (p) => p === '/' || p.startsWith('/lost+found'), ignoreFields: ['mtimeNs'] })).toHaveLength(1);
  });
});
