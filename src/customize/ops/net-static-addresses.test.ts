import { describe, expect, it } from 'vitest';
import { changes, expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { dhcpIfcfg, dhcpInterfaces, dhcpKeyfile, dhcpNetplan, dhcpNetworkd, netStaticAddresses } from './net-static-addresses.js';

describe('net-static-addresses', () => {
  it('ifcfg: static or none becomes dhcp without address lines; DHCP and loopback files stay', () => {
    expect(dhcpIfcfg('DEVICE=eth0\nBOOTPROTO=none\nIPADDR=10.0.0.5\nPREFIX=24\nGATEWAY=10.0.0.1\nIPADDR1=10.0.1.5\nNETMASK1=255.255.255.0\nONBOOT=yes\n')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n');
    expect(dhcpIfcfg("BOOTPROTO='static'\nIPADDR='10.0.0.5/24'\nSTARTMODE='auto'\n")).toBe("BOOTPROTO='dhcp'\nSTARTMODE='auto'\n");
    expect(dhcpIfcfg('DEVICE=eth1\nIPADDR=10.0.0.6\nNETMASK=255.255.255.0')).toBe('DEVICE=eth1\nBOOTPROTO=dhcp\n');
    expect(dhcpIfcfg('DEVICE=eth0\nBOOTPROTO=dhcp\n')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\n');
    expect(dhcpIfcfg('DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\n')).toBe('DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\n');
  });

  it('NetworkManager keyfile: manual becomes auto in each family, addresses and gateway dropped', () => {
    const text = '[connection]\nid=lan\ntype=ethernet\n[ipv4]\nmethod=manual\naddress1=10.0.0.5/24,10.0.0.1\ngateway=10.0.0.1\ndns=10.0.0.2;\n[ipv6]\nmethod=manual\naddresses=fd00::5/64\n';
    expect(dhcpKeyfile(text)).toBe('[connection]\nid=lan\ntype=ethernet\n[ipv4]\nmethod=auto\ndns=10.0.0.2;\n[ipv6]\nmethod=auto\n');
    const auto = '[ipv4]\nmethod=auto\n[ipv6]\nmethod=manual\naddress1=fd00::5/64\n';
    expect(dhcpKeyfile(auto)).toBe('[ipv4]\nmethod=auto\n[ipv6]\nmethod=auto\n');
    const loopback = '[connection]\ntype=loopback\n[ipv4]\nmethod=manual\naddress1=127.0.0.1/8\n';
    expect(dhcpKeyfile(loopback)).toBe(loopback);
  });

  it('netplan: an interface with addresses gets dhcp4: true; addresses, gateways and routes go; lo and DHCP interfaces stay', () => {
    const text = [
      'network:',
      '  version: 2',
      '  ethernets:',
      '    lo:',
      '      addresses: [127.0.0.1/8]',
      '    eth0:',
      '      dhcp4: false',
      '      addresses:',
      '      - 10.0.0.5/24',
      '      gateway4: 10.0.0.1',
      '      routes:',
      '        - to: 10.1.0.0/16',
      '          via: 10.0.0.254',
      '      nameservers:',
      '        addresses: [10.0.0.2]',
      '    eth1:',
      '      addresses: [192.168.1.5/24]',
      '    eth2:',
      '      dhcp4: yes',
      '      addresses: [192.168.2.5/24]',
      '',
    ].join('\n');
    expect(dhcpNetplan(text)).toBe(
      [
        'network:',
        '  version: 2',
        '  ethernets:',
        '    lo:',
        '      addresses: [127.0.0.1/8]',
        '    eth0:',
        '      dhcp4: true',
        '      nameservers:',
        '        addresses: [10.0.0.2]',
        '    eth1:',
        '      dhcp4: true',
        '    eth2:',
        '      dhcp4: yes',
        '      addresses: [192.168.2.5/24]',
        '',
      ].join('\n'),
    );
  });

  it('networkd: Address/Gateway and [Address]/[Route] sections go, DHCP=yes is set; loopback and DHCP units stay', () => {
    expect(dhcpNetworkd('[Match]\nName=eth0\n\n[Network]\nAddress=10.0.0.5/24\nGateway=10.0.0.1\nDNS=10.0.0.2\n')).toBe('[Match]\nName=eth0\n\n[Network]\nDHCP=yes\nDNS=10.0.0.2\n');
    expect(dhcpNetworkd('[Match]\nName=en*\n[Network]\nDHCP=no\n[Address]\nAddress=10.0.0.5/24\n[Route]\nGateway=10.0.0.1\n')).toBe('[Match]\nName=en*\n[Network]\nDHCP=yes\n');
    const dhcp = '[Match]\nName=eth0\n[Network]\nDHCP=yes\n[Route]\nDestination=10.1.0.0/16\nGateway=_dhcp4\n';
    expect(dhcpNetworkd(dhcp)).toBe(dhcp);
    const lo = '[Match]\nName=lo\n[Network]\nAddress=127.0.0.2/8\n';
    expect(dhcpNetworkd(lo)).toBe(lo);
  });

  it('ifupdown: inet static becomes inet dhcp without address lines; loopback and other stanzas stay', () => {
    const text = 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address 10.0.0.5\n    netmask 255.255.255.0\n    gateway 10.0.0.1\n    dns-nameservers 10.0.0.2\n\niface eth1 inet dhcp\n';
    expect(dhcpInterfaces(text)).toBe('auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n    dns-nameservers 10.0.0.2\n\niface eth1 inet dhcp\n');
  });

  it('rewrites every format in an image tree, reports each file, and is idempotent', async () => {
    const tree = makeTree({
      '/etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nBOOTPROTO=static\nIPADDR=10.0.0.5\nPREFIX=24\n',
      '/etc/sysconfig/network-scripts/ifcfg-lo': 'DEVICE=lo\nIPADDR=127.0.0.1\n',
      '/etc/sysconfig/network/ifcfg-eth0': "BOOTPROTO='static'\nIPADDR='10.0.0.5/24'\n",
      '/etc/NetworkManager/system-connections/lan.nmconnection': { text: '[ipv4]\nmethod=manual\naddress1=10.0.0.5/24\n', mode: 0o600 },
      '/etc/netplan/01-static.yaml': 'network:\n  ethernets:\n    eth0:\n      dhcp4: no\n      addresses: [10.0.0.5/24]\n',
      '/etc/systemd/network/20-eth0.network': '[Match]\nName=eth0\n[Network]\nAddress=10.0.0.5/24\n',
      '/etc/network/interfaces': 'iface eth0 inet static\n  address 10.0.0.5/24\n',
    });
    const report = await runOps([netStaticAddresses], tree);
    expect(changes(report).sort()).toEqual([
      'modified /etc/NetworkManager/system-connections/lan.nmconnection',
      'modified /etc/netplan/01-static.yaml',
      'modified /etc/network/interfaces',
      'modified /etc/sysconfig/network-scripts/ifcfg-eth0',
      'modified /etc/sysconfig/network/ifcfg-eth0',
      'modified /etc/systemd/network/20-eth0.network',
    ]);
    expect(textAt(tree, '/etc/netplan/01-static.yaml')).toBe('network:\n  ethernets:\n    eth0:\n      dhcp4: true\n');
    expect(textAt(tree, '/etc/sysconfig/network-scripts/ifcfg-lo')).toBe('DEVICE=lo\nIPADDR=127.0.0.1\n');
    expect(tree.lookup('/etc/NetworkManager/system-connections/lan.nmconnection')?.meta.mode).toBe(0o600);
    await expectIdempotent(netStaticAddresses, tree);
  });
});
