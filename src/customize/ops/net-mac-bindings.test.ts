import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { netMacBindings, unbindNetplan } from './net-mac-bindings.js';

const NETPLAN = `network:
  version: 2
  ethernets:
    eth0:
      match:
        macaddress: "52:54:00:12:34:56"
      set-name: eth0
      dhcp4: true
    lan:
      match:
        driver: virtio_net
        macaddress: 52:54:00:aa:bb:cc
      set-name: lan
`;

describe('net-mac-bindings', () => {
  it('netplan: drops match.macaddress, and an emptied match with its set-name', () => {
    expect(unbindNetplan(NETPLAN)).toBe(`network:
  version: 2
  ethernets:
    eth0:
      dhcp4: true
    lan:
      match:
        driver: virtio_net
      set-name: lan
`);
  });

  it('unbinds ifcfg, NetworkManager, networkd, ifupdown and udev configuration', async () => {
    const tree = makeTree({
      '/etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nMACADDR=52:54:00:12:34:57\nUUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\nONBOOT=yes\n',
      '/etc/sysconfig/network/ifcfg-eth0': "BOOTPROTO='dhcp'\nLLADDR='52:54:00:12:34:56'\n",
      '/etc/NetworkManager/system-connections/Wired.nmconnection': '[connection]\nid=Wired\nuuid=1\n[ethernet]\nmac-address=52:54:00:12:34:56\n',
      '/etc/netplan/01-netcfg.yaml': NETPLAN,
      '/etc/systemd/network/10-eth.link': '[Match]\nMACAddress=52:54:00:12:34:56\n[Link]\nName=eth0\n',
      '/etc/systemd/network/20-wired.network': '[Match]\nName=en*\nMACAddress=52:54:00:12:34:56\n[Network]\nDHCP=yes\n',
      '/etc/systemd/network/30-static.network': '[Match]\nPermanentMACAddress=52:54:00:12:34:56\n[Network]\nAddress=10.0.0.5/24\n',
      '/etc/network/interfaces': 'auto eth0\niface eth0 inet dhcp\n    hwaddress ether 52:54:00:12:34:56\n',
      '/etc/udev/rules.d/70-persistent-net.rules': 'SUBSYSTEM=="net", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"\n',
      '/etc/udev/rules.d/99-other.rules': 'keep\n',
    });
    await runOps([netMacBindings], tree);
    expect(textAt(tree, '/etc/sysconfig/network-scripts/ifcfg-eth0')).toBe('DEVICE=eth0\nONBOOT=yes\n');
    expect(textAt(tree, '/etc/sysconfig/network/ifcfg-eth0')).toBe("BOOTPROTO='dhcp'\n");
    expect(textAt(tree, '/etc/NetworkManager/system-connections/Wired.nmconnection')).toBe('[connection]\nid=Wired\nuuid=1\n[ethernet]\n');
    expect(textAt(tree, '/etc/netplan/01-netcfg.yaml')).not.toMatch(/macaddress|set-name: eth0/);
    expect(tree.lookup('/etc/systemd/network/10-eth.link')).toBeUndefined();
    expect(textAt(tree, '/etc/systemd/network/20-wired.network')).toBe('[Match]\nName=en*\n[Network]\nDHCP=yes\n');
    expect(tree.lookup('/etc/systemd/network/30-static.network')).toBeUndefined();
    expect(textAt(tree, '/etc/network/interfaces')).toBe('auto eth0\niface eth0 inet dhcp\n');
    expect(tree.lookup('/etc/udev/rules.d/70-persistent-net.rules')).toBeUndefined();
    expect(tree.lookup('/etc/udev/rules.d/99-other.rules')).toBeDefined();
    await expectIdempotent(netMacBindings, tree);
  });
});
