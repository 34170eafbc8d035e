// Builds a small host directory holding every kind of entry and metadata an ext4 image or tar must
// carry (hard links, fast/slow symlinks, devices, fifo, socket, setuid, xattrs, ACLs, big ids, awkward
// names, pre-1970 and post-2038 mtimes): the shared input of oracle and writer tests. Needs root.
import { chmod, chown, link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, patternBytes, runOk, toolSkipReason } from './tools.js';

/** A file name with bytes that are not UTF-8 (0xff 0xfe), as raw bytes. */
export const NON_UTF8_NAME = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e]);

/** A 254-byte name holding every byte value a name may hold (all but NUL and "/"). */
export const ALL_BYTES_NAME = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1).filter((byte) => byte !== 0x2f));

/** mtimes set on purpose, by path below the root: [seconds, nanoseconds]. */
export const SAMPLE_MTIMES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  '/old/before-1970': [-315619200n, 123456789n], // 1960-01-01, with ns
  '/old/link-before-1970': [-1n, 999999999n], // one ns before the epoch, on a symlink
  '/future/after-2038': [4102444800n, 500000000n], // 2100-01-01
  '/future/after-2106': [4398046511103n, 7n], // the last second ext4's 34-bit field holds, 2446
};

/** Why `makeSampleTree` cannot run here, or undefined. */
export function sampleTreeSkipReason(): string | undefined {
  return (
    (isRoot() ? undefined : 'the sample tree needs root (chown, mknod)') ??
    toolSkipReason('setfattr', 'setfacl', 'mknod', 'mkfifo', 'touch', 'python3')
  );
}

/**
 * Fills `root` (an existing, empty directory) with the sample entries; `root` itself gets mode 0755.
 * @example await makeSampleTree((await tempDir('sample')).path)
 */
export async function makeSampleTree(root: string): Promise<void> {
  const at = (path: string): string => join(root, path);
  await chmod(root, 0o755);
  for (const dir of ['files', 'links', 'devices', 'perms', 'names', 'old', 'future', 'xattrs', 'deep/a/b/c/d/e']) {
    await mkdir(at(dir), { recursive: true, mode: 0o755 });
  }

  await writeFile(at('files/empty'), '');
  await writeFile(at('files/hello.txt'), 'hello, image\n');
  // 512 KiB + 1: one EBS block and a byte, so block-boundary handling shows up in content hashes.
  await writeFile(at('files/big.bin'), patternBytes('sample-big', 512 * 1024 + 1));
  await writeFile(at('deep/a/b/c/d/e/leaf'), 'deep\n');

  await writeFile(at('links/original'), 'shared by three names\n');
  await link(at('links/original'), at('links/second-name'));
  await link(at('links/original'), at('files/third-name'));
  await symlink('original', at('links/fast-symlink'));
  // Longer than the 60 bytes that fit in the inode, so ext4 stores it in a data block.
  await symlink(`${'long-target/'.repeat(10)}end`, at('links/slow-symlink'));
  await symlink('/nowhere/at/all', at('links/dangling'));

  await runOk('mknod', ['-m', '0600', at('devices/null-like'), 'c', '1', '3']);
  await runOk('mknod', ['-m', '0660', at('devices/nvme-like'), 'b', '259', '1048575']); // minor > 255
  await runOk('mkfifo', ['-m', '0644', at('devices/fifo')]);
  await runOk('python3', [
    '-c',
    'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()',
    at('devices/socket'),
  ]);

  await writeFile(at('perms/setuid'), '#!/bin/sh\n');
  await chmod(at('perms/setuid'), 0o4755);
  await writeFile(at('perms/setgid'), '#!/bin/sh\n');
  await chmod(at('perms/setgid'), 0o2711);
  await mkdir(at('perms/sticky-dir'));
  await chmod(at('perms/sticky-dir'), 0o1777);
  await writeFile(at('perms/no-access'), 'secret\n');
  await chmod(at('perms/no-access'), 0o000);
  await writeFile(at('perms/big-ids'), 'owned by ids above 65535\n');
  await chown(at('perms/big-ids'), 70000, 80000);
  await symlink('big-ids', at('perms/big-ids-link'));
  await runOk('chown', ['-h', '4000000000:4000000001', at('perms/big-ids-link')]);

  await writeFile(at('names/with space'), 'space\n');
  await writeFile(at('names/with "quotes" and \'apostrophes\''), 'quotes\n');
  await writeFile(at('names/with\nnewline'), 'newline\n');
  await writeFile(at('names/back\\slash'), 'backslash\n');
  await writeFile(Buffer.concat([Buffer.from(at('names/')), NON_UTF8_NAME]), 'latin1\n');
  await writeFile(at('names/ünïcödé'), 'utf-8\n');
  await writeFile(Buffer.concat([Buffer.from(at('names/')), ALL_BYTES_NAME]), 'every byte\n');

  await writeFile(at('xattrs/user-attrs'), 'xattrs\n');
  await runOk('setfattr', ['-n', 'user.color', '-v', 'blue', at('xattrs/user-attrs')]);
  await runOk('setfattr', ['-n', 'user.binary', '-v', '0x00ff7f80', at('xattrs/user-attrs')]);
  await runOk('setfattr', ['-n', 'user.empty', at('xattrs/user-attrs')]);
  await runOk('setfattr', ['-n', 'user.long', '-v', 'x'.repeat(300), at('xattrs/user-attrs')]);
  await writeFile(at('xattrs/capability'), 'ping-like\n');
  // cap_net_raw+ep, the attribute Debian's ping carries.
  await runOk('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', at('xattrs/capability')]);
  await runOk('setfattr', ['-h', '-n', 'trusted.on-symlink', '-v', 'yes', at('links/fast-symlink')]);
  await writeFile(at('xattrs/acl-file'), 'acl\n');
  await runOk('setfacl', ['-m', 'u:1234:rwx,g:adm:r', at('xattrs/acl-file')]);
  await mkdir(at('xattrs/acl-dir'));
  await runOk('setfacl', ['-m', 'g:adm:r-x,d:g:adm:r-x,d:u:70000:rwx', at('xattrs/acl-dir')]);

  await writeFile(at('old/before-1970'), 'old\n');
  await symlink('before-1970', at('old/link-before-1970'));
  await writeFile(at('future/after-2038'), 'future\n');
  await writeFile(at('future/after-2106'), 'far future\n');
  for (const [path, [seconds, nanoseconds]] of Object.entries(SAMPLE_MTIMES)) {
    await runOk('touch', ['-h', '-d', `@${formatDecimalSeconds(seconds * 1_000_000_000n + nanoseconds)}`, at(path.slice(1))]);
  }
}

/** sec*1e9+nsec as touch's "@SECONDS.FRACTION" (negative values count back from the epoch). */
function formatDecimalSeconds(totalNs: bigint): string {
  const sign = totalNs < 0n ? '-' : '';
  const magnitude = totalNs < 0n ? -totalNs : totalNs;
  return `${sign}${magnitude / 1_000_000_000n}.${(magnitude % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** The mtime `makeSampleTree` gives a path, in ns (see SAMPLE_MTIMES). */
export function sampleMtimeNs(path: string): bigint | undefined {
  const entry = SAMPLE_MTIMES[path];
  return entry ? entry[0] * 1_000_000_000n + entry[1] : undefined;
}
