// Proves the GNU tar round trip used as a reference: archive a sample tree with xattrs and ACLs,
// extract it as root, and read back the same tree (except sockets, which tar never stores); and that
// one changed byte in the extraction is reported.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSampleTree, sampleTreeSkipReason } from '../support/sample-tree.js';
import { runOk, tempDir, toolSkipReason } from '../support/tools.js';
import { compareTrees, extractTarWithGnuTar, readHostTree } from '../support/tree-facts.js';

describe.skipIf(sampleTreeSkipReason() ?? toolSkipReason('tar', 'getfattr'))('GNU tar reference extraction', () => {
  it('restores every entry with ns mtimes (symlinks and dirs too), owners, xattrs and ACLs; drops sockets', async () => {
    const { path } = await tempDir('gnu-tar-oracle');
    const source = join(path, 'source');
    const extracted = join(path, 'extracted');
    await mkdir(source);
    await mkdir(extracted);
    await makeSampleTree(source);
    const archive = join(path, 'sample.tar');
    await runOk('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls', '--sort=name', '-C', source, '-cf', archive, '.']);
    await extractTarWithGnuTar(archive, extracted);

    const expected = await readHostTree(source);
    const actual = await readHostTree(extracted);
    expect(compareTrees(expected, actual)).toEqual(['missing: /devices/socket (socket)']);

    await writeFile(join(extracted, 'files/hello.txt'), 'hello, imagE\n');
    const changed = compareTrees(expected, await readHostTree(extracted), {
      ignore: (p) => p === '/devices/socket',
      ignoreFields: ['mtimeNs'], // the rewrite moves the mtime too; the content is what must be caught
    });
    expect(changed).toEqual([expect.stringMatching(/^\/files\/hello\.txt: sha256 expected /)]);
  });
});
