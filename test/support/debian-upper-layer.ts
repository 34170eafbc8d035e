// The second layer the Debian acceptance tests put on the real rootfs — a replaced file, a whiteout, an
// opaque directory, a new setuid file and a symlink — and the same change applied by hand with GNU tar.
import { chmod, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractTarWithGnuTar } from './tree-facts.js';
import { runOk } from './tools.js';

const UPPER_MTIME_SEC = 1_700_000_000;

/** Creates the upper layer tar in `workDir` and returns its path. */
export async function makeDebianUpperLayer(workDir: string): Promise<string> {
  const dir = join(workDir, 'upper');
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'usr/share/doc'), { recursive: true });
  await mkdir(join(dir, 'usr/local/bin'), { recursive: true });
  await writeFile(join(dir, 'etc/hostname'), 'flattened\n');
  await writeFile(join(dir, 'etc/.wh.issue'), '');
  await writeFile(join(dir, 'usr/share/doc/.wh..wh..opq'), '');
  await writeFile(join(dir, 'usr/share/doc/README.amikit'), 'docs were replaced by an opaque directory\n');
  await writeFile(join(dir, 'usr/local/bin/tool'), '#!/bin/sh\necho tool\n');
  await chmod(join(dir, 'usr/local/bin/tool'), 0o4755);
  await symlink('../share/doc/README.amikit', join(dir, 'usr/local/bin/readme'));
  const tar = join(workDir, 'upper.tar');
  await runOk('tar', ['--numeric-owner', '--owner=0', '--group=0', `--mtime=@${UPPER_MTIME_SEC}`, '--sort=name', '--format=pax', '-C', dir, '-cf', tar, '.']);
  return tar;
}

/** Extracts `baseTar` into `root` with GNU tar and applies `upperTar` by hand: the expected merge. */
export async function extractBaseWithUpperByHand(baseTar: string, upperTar: string, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  await extractTarWithGnuTar(baseTar, root);
  await rm(join(root, 'etc/issue'), { force: true });
  for (const name of await readdir(join(root, 'usr/share/doc'))) {
    await rm(join(root, 'usr/share/doc', name), { recursive: true, force: true });
  }
  // The upper layer minus its whiteout markers, extracted by GNU tar: it sets exactly the layer's attributes.
  await runOk('tar', ['-xpf', upperTar, '--numeric-owner', '--same-owner', '--exclude=.wh.*', '-C', root]);
}
