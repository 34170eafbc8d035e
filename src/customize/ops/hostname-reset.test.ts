import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { hostnameReset } from './hostname-reset.js';

describe('hostname-reset', () => {
  it('empties /etc/hostname, drops the old name from /etc/hosts and ifcfg files', async () => {
    const tree = makeTree({
      '/etc/hostname': 'builder.example.com\n',
      '/etc/hosts': '127.0.0.1\tlocalhost\n127.0.1.1\tbuilder.example.com builder\n10.0.0.5 builder other # lab\n::1 localhost ip6-localhost\n',
      '/etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nHOSTNAME=builder\nDHCP_HOSTNAME=builder\nBOOTPROTO=dhcp\n',
      '/etc/sysconfig/network': 'NETWORKING=yes\nHOSTNAME=builder.example.com\n',
      '/etc/machine-info': 'PRETTY_HOSTNAME=Builder\nCHASSIS=vm\n',
    });
    await runOps([hostnameReset], tree);
    expect(textAt(tree, '/etc/hostname')).toBe('');
    expect(textAt(tree, '/etc/hosts')).toBe('127.0.0.1\tlocalhost\n10.0.0.5\tother # lab\n::1 localhost ip6-localhost\n');
    expect(textAt(tree, '/etc/sysconfig/network-scripts/ifcfg-eth0')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\n');
    expect(textAt(tree, '/etc/sysconfig/network')).toBe('NETWORKING=yes\n');
    expect(textAt(tree, '/etc/machine-info')).toBe('CHASSIS=vm\n');
    await expectIdempotent(hostnameReset, tree);
  });

  it('never removes localhost names', async () => {
    const tree = makeTree({ '/etc/hostname': 'localhost\n', '/etc/hosts': '127.0.0.1 localhost\n' });
    await runOps([hostnameReset], tree);
    expect(textAt(tree, '/etc/hosts')).toBe('127.0.0.1 localhost\n');
  });

  it('leaves /etc/hostname and /etc/hosts to --hostname when it is given', async () => {
    const tree = makeTree({ '/etc/hostname': 'old\n', '/etc/hosts': '127.0.1.1 old\n', '/etc/sysconfig/network': 'HOSTNAME=old\n' });
    await runOps([hostnameReset], tree, { hostname: 'new' });
    expect(textAt(tree, '/etc/hostname')).toBe('old\n');
    expect(textAt(tree, '/etc/hosts')).toBe('127.0.1.1 old\n');
    expect(textAt(tree, '/etc/sysconfig/network')).toBe('');
  });
});
