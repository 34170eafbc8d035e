// Locates (and in CI builds) the cached bootable Debian bookworm root filesystem tar made by
// fixtures/scripts/make-debian-boot-rootfs.sh: the input of the QEMU boot tests.
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, run, toolSkipReason } from './tools.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT_PATH = join(REPO_ROOT, 'fixtures/scripts/make-debian-boot-rootfs.sh');
const CACHE_DIR = process.env['AMIKIT_FIXTURE_CACHE'] ?? join(REPO_ROOT, 'fixtures/cache');

/** Where the script leaves the tar (it may not exist yet). */
export const DEBIAN_BOOT_ROOTFS_TAR_PATH = join(CACHE_DIR, 'debian-bookworm-boot-rootfs.tar');

let skipReason: string | undefined;
let pending: Promise<string | undefined> | undefined;

/**
 * The path of the bootable Debian rootfs tar when it is cached and current. When it is not, builds it
 * if `AMIKIT_BUILD_ROOTFS=1` or `CI` is set (root needed, ~100 s), else returns undefined and leaves the
 * reason in `debianBootRootfsSkipReason()` for `ctx.skip(reason)`: such a test must skip, never pass.
 * @throws when a requested build fails, or under CI when it cannot be built (a failure, not a skip).
 * @example
 *   const tar = await debianBootRootfsTar();
 *   if (!tar) return ctx.skip(debianBootRootfsSkipReason());
 */
export function debianBootRootfsTar(): Promise<string | undefined> {
  pending ??= locateOrBuild();
  return pending;
}

/** Why `debianBootRootfsTar()` returned undefined (after awaiting it). */
export function debianBootRootfsSkipReason(): string {
  return skipReason ?? 'the bootable Debian rootfs fixture is not available';
}

/** The kernel version the fixture was built with, from its stamp (e.g. "6.1.0-50-amd64"). */
export function debianBootRootfsKernel(): string {
  const line = readFileSync(`${DEBIAN_BOOT_ROOTFS_TAR_PATH}.stamp`, 'utf8').split('\n').find((l) => l.startsWith('kernel='));
  if (!line) throw new Error(`${DEBIAN_BOOT_ROOTFS_TAR_PATH}.stamp names no kernel`);
  return line.slice('kernel='.length);
}

async function locateOrBuild(): Promise<string | undefined> {
  if (isCurrent()) return DEBIAN_BOOT_ROOTFS_TAR_PATH;
  const mayBuild = process.env['AMIKIT_BUILD_ROOTFS'] === '1' || Boolean(process.env['CI']);
  if (!mayBuild) {
    skipReason =
      `needs ${DEBIAN_BOOT_ROOTFS_TAR_PATH} (run \`sudo npm run fixtures:boot\` once, ` +
      'or set AMIKIT_BUILD_ROOTFS=1 to build it during the tests)';
    return undefined;
  }
  const cannot = (isRoot() ? undefined : 'building the bootable Debian rootfs needs root') ?? toolSkipReason('debootstrap', 'tar');
  if (cannot) {
    // Asked to build but unable: in CI that must fail loudly rather than skip the boot tests.
    if (process.env['CI']) throw new Error(`cannot build the bootable Debian rootfs fixture: ${cannot}`);
    skipReason = cannot;
    return undefined;
  }
  // The script takes a lock, so parallel test files wait for one build instead of racing.
  await run('bash', [SCRIPT_PATH], { check: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (!isCurrent()) throw new Error(`make-debian-boot-rootfs.sh finished but ${DEBIAN_BOOT_ROOTFS_TAR_PATH} is not current`);
  return DEBIAN_BOOT_ROOTFS_TAR_PATH;
}

// Current = the tar exists and its stamp names the sha256 of the script as it is now.
function isCurrent(): boolean {
  const stampPath = `${DEBIAN_BOOT_ROOTFS_TAR_PATH}.stamp`;
  if (!existsSync(DEBIAN_BOOT_ROOTFS_TAR_PATH) || !existsSync(stampPath)) return false;
  const scriptSha = createHash('sha256').update(readFileSync(SCRIPT_PATH)).digest('hex');
  return readFileSync(stampPath, 'utf8').split('\n').includes(`script-sha256=${scriptSha}`);
}
