// The README's first command: builds an ext4 image and a flattened tar from the two bundled example
// layers (offline, no AWS, no root), then lets e2fsck judge the image when e2fsprogs is installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'bin', 'amikit.js');
const out = join(here, 'out');
mkdirSync(out, { recursive: true });
const layers = ['--layer', join(here, 'layers', 'base.tar.gz'), '--layer', join(here, 'layers', 'app.tar')];
const env = { ...process.env, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? '1700000000' };

function step(title, command, args) {
  console.log(`\n$ ${title}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.error) return false;
  if (result.status !== 0) {
    console.error(`example failed: ${title} exited with ${result.status}`);
    process.exit(result.status ?? 1);
  }
  return true;
}

step('amikit flatten (merge the layers into one tar)', process.execPath, [cli, 'flatten', ...layers, '-o', join(out, 'merged.tar')]);
step('amikit build (strip host state, inject a key, write an ext4 root filesystem image)', process.execPath, [
  cli, 'build', ...layers, '-o', join(out, 'root.img'), '--seed', 'example', '--label', 'example-root',
  '--sysprep', '--ssh-key', `admin=${join(here, 'keys', 'admin.pub')}`, '--hostname', 'example-host',
]);
if (!step('e2fsck -fn (an independent check of the image)', 'e2fsck', ['-fn', join(out, 'root.img')])) {
  console.log('(e2fsck not installed: skipped the independent check)');
}
console.log(`\nDone: ${join(out, 'root.img')} and ${join(out, 'merged.tar')}`);
