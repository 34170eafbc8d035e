// Locates (and in CI builds) the cached real Debian bookworm root filesystem tar made by
// fixtures/scripts/make-debian-rootfs.sh, the large realistic input of layer, ext4 and boot tests.
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, run, toolSkipReason } from './tools.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT_PATH = join(REPO_ROOT, 'fixtures/scripts/make-debian-rootfs.sh');
const CACHE_DIR = process.env['AMIKIT_FIXTURE_CACHE'] ?? join(REPO_ROOT, 'fixtures/cache');

/** Where the script leaves the tar (it may not exist yet). */
export const DEBIAN_ROOTFS_TAR_PATH = join(CACHE_DIR, 'debian-bookworm-rootfs.tar');

let skipReason: string | undefined;
let pending: Promise<string | undefined> | undefined;

/**
 * The path of the Debian rootfs tar when it is cached and current. When it is not, builds it if
 * `AMIKIT_BUILD_ROOTFS=1` or `CI` is set (root needed, ~90 s), else returns undefined and leaves the
 * reason in `debianRootfsSkipReason()` for `ctx.skip(reason)`: such a test must skip, never pass.
 * @throws when a requested build fails (a CI failure, not a skip).
 * @example
 *   const tar = await debianRootfsTar();
 *   if (!tar) return ctx.skip(debianRootfsSkipReason());
 */
export function debianRootfsTar(): Promise<string | undefined> {
  pending ??= locateOrBuild();
  return pending;
}

/** Why `debianRootfsTar()` returned undefined (after awaiting it). */
export function debianRootfsSkipReason(): string {
  return skipReason ?? 'the Debian rootfs fixture is not available';
}

async function locateOrBuild(): Promise<string | undefined> {
  if (isCurrent()) return DEBIAN_ROOTFS_TAR_PATH;
  const mayBuild = process.env['AMIKIT_BUILD_ROOTFS'] === '1' || Boolean(process.env['CI']);
  if (!mayBuild) {
    skipReason =
      `needs ${DEBIAN_ROOTFS_TAR_PATH} (run \`sudo npm run fixtures\` once, ` +
      'or set AMIKIT_BUILD_ROOTFS=1 to build it during the tests)';
    return undefined;
  }
  const cannot = (isRoot() ? undefined : 'building the Debian rootfs needs root') ?? toolSkipReason('debootstrap', 'tar');
  if (cannot) {
    // Asked to build but unable: in CI that must fail loudly rather than skip every heavy test.
    if (process.env['CI']) throw new Error(`cannot build the Debian rootfs fixture: ${cannot}`);
    skipReason = cannot;
    return undefined;
  }
  // The script takes a lock, so parallel test files wait for one build instead of racing.
  await run('bash', [SCRIPT_PATH], { check: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (!isCurrent()) throw new Error(`make-debian-rootfs.sh finished but ${DEBIAN_ROOTFS_TAR_PATH} is not current`);
  return DEBIAN_ROOTFS_TAR_PATH;
}

// Current = the tar exists and its stamp names the sha256 of the script as it is now.
function isCurrent(): boolean {
  const stampPath = `${DEBIAN_ROOTFS_TAR_PATH}.stamp`;
  if (!existsSync(DEBIAN_ROOTFS_TAR_PATH) || !existsSync(stampPath)) return false;
  const scriptSha = createHash('sha256').update(readFileSync(SCRIPT_PATH)).digest('hex');
  return readFileSync(stampPath, 'utf8').split('\n').includes(`script-sha256=${scriptSha}`);
}
