import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { KEYGEN_UNIT_PATH, sshHostKeys } from './ssh-host-keys.js';

const KEYS = { '/etc/ssh/ssh_host_ed25519_key': 'k', '/etc/ssh/ssh_host_ed25519_key.pub': 'p', '/etc/ssh/ssh_host_rsa_key': 'k', '/etc/ssh/sshd_config': 'Port 22\n' };

describe('ssh-host-keys', () => {
  it('removes host keys and installs a first-boot keygen unit when nothing regenerates them (Debian without cloud-init)', async () => {
    const tree = makeTree({ ...KEYS, '/usr/sbin/sshd': 'ELF', '/lib/systemd/systemd': 'ELF' });
    const report = await runOps([sshHostKeys], tree);
    expect(tree.lookup('/etc/ssh/ssh_host_ed25519_key')).toBeUndefined();
    expect(tree.lookup('/etc/ssh/ssh_host_rsa_key')).toBeUndefined();
    expect(tree.lookup('/etc/ssh/sshd_config')).toBeDefined();
    expect(textAt(tree, KEYGEN_UNIT_PATH)).toMatch(/ExecStart=\/usr\/bin\/ssh-keygen -A[\s\S]*Before=|Before=ssh\.service/);
    const wants = tree.lookup('/etc/systemd/system/multi-user.target.wants/amikit-ssh-host-keys.service');
    expect(wants?.kind === 'symlink' && wants.target.toString()).toBe(KEYGEN_UNIT_PATH);
    expect(report.warnings).toEqual([]);
    await expectIdempotent(sshHostKeys, tree);
  });

  it('installs nothing when cloud-init or a distro keygen unit regenerates keys', async () => {
    for (const regen of ['/etc/cloud/cloud.cfg', '/usr/lib/systemd/system/sshd-keygen@.service', '/usr/sbin/sshd-gen-keys-start']) {
      const tree = makeTree({ ...KEYS, '/usr/sbin/sshd': 'ELF', '/usr/lib/systemd/systemd': 'ELF', [regen]: 'x' });
      await runOps([sshHostKeys], tree);
      expect(tree.lookup(KEYGEN_UNIT_PATH)).toBeUndefined();
    }
  });

  it('warns on an image with sshd but no systemd and no regenerator', async () => {
    const tree = makeTree({ ...KEYS, '/usr/sbin/sshd': 'ELF' });
    const report = await runOps([sshHostKeys], tree);
    expect(report.warnings.join()).toMatch(/no systemd/);
    expect(tree.lookup(KEYGEN_UNIT_PATH)).toBeUndefined();
  });
});
