// The one list of customisation operations (no registration by import side effect), checked when loaded:
// names kebab-case and unique, summaries one line without a final period, flags unique across operations.
import { AmikitError } from '../shared/errors.js';
import type { CustomizeOperation } from './operation.js';
import { cloudInitState } from './ops/cloud-init-state.js';
import { cloudInitUserData } from './ops/cloud-init-user-data.js';
import { containerLeftovers } from './ops/container-leftovers.js';
import { crashDumps } from './ops/crash-dumps.js';
import { credential } from './ops/credential.js';
import { cronSpool } from './ops/cron-spool.js';
import { deletePaths } from './ops/delete.js';
import { dhcpLeases } from './ops/dhcp-leases.js';
import { file } from './ops/file.js';
import { hostname } from './ops/hostname.js';
import { hostnameReset } from './ops/hostname-reset.js';
import { logfiles } from './ops/logfiles.js';
import { machineId } from './ops/machine-id.js';
import { mailSpool } from './ops/mail-spool.js';
import { mkdir } from './ops/mkdir.js';
import { netMacBindings } from './ops/net-mac-bindings.js';
import { netStaticAddresses } from './ops/net-static-addresses.js';
import { packageCaches } from './ops/package-caches.js';
import { params } from './ops/params.js';
import { passwdBackups } from './ops/passwd-backups.js';
import { randomSeed } from './ops/random-seed.js';
import { rootPasswordHash } from './ops/root-password-hash.js';
import { secretsScan } from './ops/secrets-scan.js';
import { shellHistory } from './ops/shell-history.js';
import { sshAuthorizedKeys } from './ops/ssh-authorized-keys.js';
import { sshHostKeys } from './ops/ssh-host-keys.js';
import { swap } from './ops/swap.js';
import { symlink } from './ops/symlink.js';
import { timezone } from './ops/timezone.js';
import { tmpFiles } from './ops/tmp-files.js';

/** Flags the customisation layer itself owns; no operation may declare them. */
export const RESERVED_FLAGS: readonly string[] = ['sysprep', 'dry-run'];

/** Every operation, sorted by name. Run order comes from kind and `order` (see customize-tree.ts). */
export const ALL_OPERATIONS: readonly CustomizeOperation[] = checkRegistry([
  cloudInitState,
  cloudInitUserData,
  containerLeftovers,
  crashDumps,
  credential,
  cronSpool,
  deletePaths,
  dhcpLeases,
  file,
  hostname,
  hostnameReset,
  logfiles,
  machineId,
  mailSpool,
  mkdir,
  netMacBindings,
  netStaticAddresses,
  packageCaches,
  params,
  passwdBackups,
  randomSeed,
  rootPasswordHash,
  secretsScan,
  shellHistory,
  sshAuthorizedKeys,
  sshHostKeys,
  swap,
  symlink,
  timezone,
  tmpFiles,
]);

/**
 * Checks the operation records (virt-sysprep's bake()): the registry refuses to load when one is malformed.
 * @throws AmikitError INTERNAL naming the operation.
 */
export function checkRegistry(operations: CustomizeOperation[]): readonly CustomizeOperation[] {
  const names = new Set<string>();
  const flags = new Set<string>(RESERVED_FLAGS);
  for (const op of operations) {
    const fail = (why: string): never => {
      throw new AmikitError('INTERNAL', `customisation operation '${op.name}': ${why}`);
    };
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(op.name)) fail('name must be kebab-case');
    if (names.has(op.name)) fail('duplicate name');
    names.add(op.name);
    if (op.summary === '' || /[.\n]$/.test(op.summary) || op.summary.includes('\n') || op.summary.length > 90) fail('summary must be one line without a final period');
    if (op.description.trim() === '') fail('description is empty');
    if (op.kind === 'inject' && op.options.length === 0) fail('an injection operation needs at least one flag');
    if (op.kind === 'inject' && op.enabledByDefault) fail('injection operations run only when their flags are given');
    for (const option of op.options) {
      if (flags.has(option.flag)) fail(`flag --${option.flag} is declared twice`);
      flags.add(option.flag);
      if (op.kind === 'strip' && !option.flag.startsWith('sysprep-')) fail(`strip operation flags start with sysprep- (--${option.flag})`);
      if (/[.\n]$/.test(option.help)) fail(`help of --${option.flag} must be one line without a final period`);
    }
  }
  return [...operations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
