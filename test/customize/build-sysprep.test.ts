// End to end: `amikit build --sysprep --ssh-key …` on the Debian-, RHEL- and SUSE-style dirty fixture trees, read
// back through debugfs and compared entry by entry with the un-customised build; plus the exit-2 error cases.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDirtyRootfsTar, DISTRO_STYLES, inStyle, removedPaths, staticFiles, type DistroStyle } from '../../fixtures/customize/dirty-rootfs.js';
import { KEYGEN_UNIT } from '../../src/customize/ops/ssh-host-keys.js';
import { e2fsck } from '../support/e2fsprogs.js';
import { runCli } from '../support/run-cli.js';
import { tempDir, toolSkipReason } from '../support/tools.js';
import { compareTrees, readImageTreeWithDebugfs } from '../support/tree-facts.js';

const ENV = { SOURCE_DATE_EPOCH: '1700000000' };
const skip = toolSkipReason('debugfs', 'e2fsck');

function ed25519(seed: number, comment: string): string {
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, seed)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

async function setup(style?: DistroStyle): Promise<{ dir: string; layer: string; rootKey: string; adminKey: string }> {
  const dir = (await tempDir('sysprep-e2e')).path;
  const layer = join(dir, 'dirty.tar');
  await writeFile(layer, buildDirtyRootfsTar(style));
  await writeFile(join(dir, 'root.pub'), `${ed25519(1, 'ops@laptop')}\n`);
  await writeFile(join(dir, 'admin.pub'), `${ed25519(2, 'admin@laptop')}\n${ed25519(3, 'ci')}`);
  return { dir, layer, rootKey: join(dir, 'root.pub'), adminKey: join(dir, 'admin.pub') };
}

/** Asserts a failed run: exit 2, one `amikit: error:` line matching `pattern`, no output file. */
function expectUsageFailure(result: { exitCode: number; stderr: string }, pattern: RegExp): void {
  const lines = result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('amikit: warning:'));
  expect(result.exitCode, result.stderr).toBe(2);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^amikit: error: /);
  expect(lines[0]).toMatch(pattern);
}

describe.skipIf(skip)(`amikit build --sysprep on a dirty rootfs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it.each(DISTRO_STYLES)('%s-style tree: strips every artefact, injects the keys exactly, and changes nothing else', async (style) => {
    const { dir, layer, rootKey, adminKey } = await setup(style);
    const plain = join(dir, 'plain.img');
    const custom = join(dir, 'custom.img');
    const base = ['build', '--layer', layer, '--seed', 'e2e', '--size', '64MiB'];
    expect((await runCli([...base, '-o', plain], ENV)).exitCode).toBe(0);
    const built = await runCli([...base, '-o', custom, '--sysprep', '--sysprep-remove-secrets', '--ssh-key', `root=${rootKey}`, '--ssh-key', `admin=${adminKey}`, '--json'], ENV);
    expect(built.exitCode, built.stderr).toBe(0);
    const result = JSON.parse(built.stdout) as { customization: { kernelArguments: string[] } };
    expect(result.customization.kernelArguments).toEqual(['noresume']);
    expect((await e2fsck(custom, 'check')).clean).toBe(true);

    const before = await readImageTreeWithDebugfs(plain);
    const after = await readImageTreeWithDebugfs(custom);
    const removedList = removedPaths(style);
    for (const path of removedList) {
      expect(before.has(path), `fixture has ${path}`).toBe(true);
      expect(after.has(path), `${path} removed`).toBe(false);
    }
    const file = (path: string) => after.get(path);
    expect(file('/etc/machine-id')).toMatchObject({ type: 'file', size: 0, mode: 0o444, uid: 0, gid: 0 });
    expect(file('/var/lib/dbus/machine-id')).toMatchObject({ type: 'symlink', linkTarget: '/etc/machine-id' });
    expect(file('/etc/hostname')).toMatchObject({ size: 0 });
    expect(file('/root/.ssh')).toMatchObject({ type: 'dir', mode: 0o700, uid: 0, gid: 0 });
    expect(file('/root/.ssh/authorized_keys')).toMatchObject({ type: 'file', mode: 0o600, uid: 0, gid: 0 });
    expect(file('/home/admin/.ssh')).toMatchObject({ type: 'dir', mode: 0o700, uid: 1000, gid: 1000 });
    expect(file('/home/admin/.ssh/authorized_keys')).toMatchObject({ type: 'file', mode: 0o600, uid: 1000, gid: 1000 });
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(file('/root/.ssh/authorized_keys')?.sha256).toBe(sha(`${ed25519(1, 'ops@laptop')}\n`));
    expect(file('/home/admin/.ssh/authorized_keys')?.sha256).toBe(sha(`${ed25519(2, 'admin@laptop')}\n${ed25519(3, 'ci')}\n`));
    const statics = staticFiles(style);
    expect(statics.length, 'every style has static-address files').toBeGreaterThan(0);
    for (const [path, { after: text }] of statics) expect(file(path)?.sha256, `${path} switched to DHCP`).toBe(sha(text));
    // Only the Debian-style tree has sshd and systemd but nothing that makes host keys at first boot
    // (RHEL-style: cloud-init; SUSE-style: sshd-gen-keys-start), so only it gets the first-boot unit.
    const unitPaths = ['/etc/systemd/system', '/etc/systemd/system/amikit-ssh-host-keys.service', '/etc/systemd/system/multi-user.target.wants', '/etc/systemd/system/multi-user.target.wants/amikit-ssh-host-keys.service'];
    if (style === 'debian') {
      expect(file('/etc/systemd/system/amikit-ssh-host-keys.service')).toMatchObject({ type: 'file', mode: 0o644, uid: 0, gid: 0 });
      expect(file('/etc/systemd/system/amikit-ssh-host-keys.service')?.sha256).toBe(sha(KEYGEN_UNIT));
      expect(file('/etc/systemd/system/multi-user.target.wants/amikit-ssh-host-keys.service')).toMatchObject({ type: 'symlink', linkTarget: '/etc/systemd/system/amikit-ssh-host-keys.service' });
    } else {
      expect(after.has('/etc/systemd/system/amikit-ssh-host-keys.service')).toBe(false);
    }

    // Nothing else changed: every difference is on a path an operation is documented to touch.
    const rewritten = new Set(
      [
      '/etc/fstab',
      '/etc/default/grub',
      '/etc/hostname',
      '/etc/hosts',
      '/etc/machine-id',
      '/etc/netplan/60-static.yaml',
      '/etc/sysconfig/network-scripts/ifcfg-eth0',
      '/etc/sysconfig/network/ifcfg-eth0',
      '/etc/NetworkManager/system-connections/Wired.nmconnection',
      '/var/lib/dbus/machine-id',
      ...statics.map(([path]) => path),
      '/root/.ssh',
      '/root/.ssh/authorized_keys',
      '/home/admin/.ssh/authorized_keys',
      ...(style === 'debian' ? unitPaths : []),
      ].filter((path) => inStyle(path, style)),
    );
    const removed = (path: string) => removedList.some((p) => path === p || path.startsWith(`${p}/`));
    const differences = compareTrees(before, after, { ignore: (p) => p.startsWith('/lost+found') });
    const unexplained = differences.filter((line) => {
      const path = /^(?:missing|extra): (\S+)|^(\S+): /.exec(line)!.slice(1).find(Boolean)!;
      return !removed(path) && !rewritten.has(path);
    });
    expect(unexplained).toEqual([]);
  });

  it('--dry-run reports the changes and writes nothing', async () => {
    const { dir, layer, rootKey } = await setup();
    const result = await runCli(['build', '--layer', layer, '--dry-run', '--sysprep', '--ssh-key', `root=${rootKey}`], ENV);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/machine-id: 3 changes \(dry run\)\n  modified \/etc\/machine-id/);
    expect(result.stdout).toMatch(/ssh-authorized-keys: .*\n  created \/root\/\.ssh/);
    expect((await readdir(dir)).sort()).toEqual(['admin.pub', 'dirty.tar', 'root.pub']);
  });

  it('fails with exit 2, one line and no output file on bad customisation input', async () => {
    const { dir, layer, rootKey } = await setup();
    const out = join(dir, 'out.img');
    await writeFile(join(dir, 'bad.pub'), 'ssh-ed25519 AAAA-not-a-key\n');
    await writeFile(join(dir, 'escape.tar'), Buffer.alloc(0));
    const base = ['build', '--layer', layer, '-o', out];
    expectUsageFailure(await runCli([...base, '--ssh-key', `bob=${rootKey}`], ENV), /user 'bob' does not exist/);
    expectUsageFailure(await runCli([...base, '--ssh-key', `root=${join(dir, 'bad.pub')}`], ENV), /bad\.pub:1: not an OpenSSH public key/);
    expectUsageFailure(await runCli([...base, '--sysprep=defaults,-no-such-op'], ENV), /unknown operation 'no-such-op'/);
    expectUsageFailure(await runCli([...base, '--sysprep=defaults,-secrets-scan', '--sysprep-remove-secrets'], ENV), /belongs to the 'secrets-scan' operation, which is not enabled/);
    expectUsageFailure(await runCli([...base, '--symlink', '../../../../../etc:/root/.ssh', '--ssh-key', `root=${rootKey}`], ENV), /\/root\/\.ssh -> .* leads outside the image/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((name) => name.includes('out'))).toEqual([]);
  });
});

describe('amikit sysprep --list-operations', () => {
  it('lists every operation with defaults marked, and JSON', async () => {
    const text = await runCli(['sysprep', '--list-operations']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^machine-id +\* +empty \/etc\/machine-id/m);
    expect(text.stdout).toMatch(/^ssh-authorized-keys .*--ssh-key/m);
    const json = JSON.parse((await runCli(['sysprep', '--list-operations', '--json'])).stdout) as { operations: { name: string }[] };
    expect(json.operations.map((op) => op.name)).toContain('swap');
    expect((await runCli(['sysprep'])).exitCode).toBe(2);
  });
});
