import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { dhcpLeases } from './dhcp-leases.js';

describe('dhcp-leases', () => {
  it('removes leases of every client and keeps their directories and unrelated state', async () => {
    const tree = makeTree({
      '/var/lib/dhcp/dhclient.eth0.leases': 'lease {}',
      '/var/lib/dhclient/dhclient--eth0.lease': 'lease {}',
      '/var/lib/dhcpcd/eth0.lease': 'x',
      '/var/lib/NetworkManager/internal-abc-eth0.lease': 'x',
      '/var/lib/NetworkManager/timestamps': 'x',
      '/var/lib/NetworkManager/secret_key': 'x',
      '/var/lib/NetworkManager/NetworkManager.state': '[main]\n',
      '/var/lib/wicked/lease-eth0-dhcp-ipv4.xml': 'x',
    });
    await runOps([dhcpLeases], tree);
    const left = [...tree.walk()].map((e) => e.path).filter((p) => p.startsWith('/var/lib/'));
    expect(left).toEqual(['/var/lib/NetworkManager', '/var/lib/NetworkManager/NetworkManager.state', '/var/lib/dhclient', '/var/lib/dhcp', '/var/lib/dhcpcd', '/var/lib/wicked']);
    await expectIdempotent(dhcpLeases, tree);
  });
});
