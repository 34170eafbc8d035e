import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { cloudInitState } from './cloud-init-state.js';

describe('cloud-init-state', () => {
  it('removes /var/lib/cloud except seed, logs, generated configs and cloudconfig fstab lines; lists clean.d hooks', async () => {
    const tree = makeTree({
      '/var/lib/cloud/instance': { link: '/var/lib/cloud/instances/i-123' },
      '/var/lib/cloud/instances/i-123/user-data.txt': 'x',
      '/var/lib/cloud/data/instance-id': 'i-123\n',
      '/var/lib/cloud/seed/nocloud/meta-data': 'instance-id: x\n',
      '/var/log/cloud-init.log': 'x',
      '/etc/netplan/50-cloud-init.yaml': 'network: {}\n',
      '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication no\n',
      '/etc/NetworkManager/system-connections/cloud-init-eth0.nmconnection': 'x',
      '/etc/fstab': 'UUID=r / ext4 defaults 0 1\n/dev/xvdb /mnt auto defaults,nofail,comment=cloudconfig 0 2\n',
      '/etc/cloud/clean.d/10-hook': { text: '#!/bin/sh\n', mode: 0o755 },
    });
    const report = await runOps([cloudInitState], tree);
    expect([...tree.walk()].map((e) => e.path).filter((p) => p.startsWith('/var/lib/cloud'))).toEqual([
      '/var/lib/cloud',
      '/var/lib/cloud/seed',
      '/var/lib/cloud/seed/nocloud',
      '/var/lib/cloud/seed/nocloud/meta-data',
    ]);
    for (const path of ['/var/log/cloud-init.log', '/etc/netplan/50-cloud-init.yaml', '/etc/ssh/sshd_config.d/50-cloud-init.conf', '/etc/NetworkManager/system-connections/cloud-init-eth0.nmconnection']) {
      expect(tree.lookup(path), path).toBeUndefined();
    }
    expect(textAt(tree, '/etc/fstab')).toBe('UUID=r / ext4 defaults 0 1\n');
    expect(report.warnings.join()).toMatch(/clean\.d\/10-hook/);
    const again = await runOps([cloudInitState], tree);
    expect(again.operations[0]!.changes).toEqual([]);
    await expectIdempotent(cloudInitState, tree);
  });
});
