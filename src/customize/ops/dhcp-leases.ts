// Removes DHCP leases and per-host network state of every common client (dhclient, dhcpcd, NetworkManager,
// wicked, dhcpd) so a clone does not request the build host's address.
import type { CustomizeOperation } from '../operation.js';

const LEASE_DIRS = ['/var/lib/dhclient', '/var/lib/dhcp', '/var/lib/dhcpcd', '/var/lib/dhcpcd5', '/var/db/dhcpcd', '/var/lib/dhcpd'];
const LEASE_GLOBS = [
  '/var/lib/NetworkManager/*.lease',
  '/var/lib/NetworkManager/dhclient-*',
  '/var/lib/NetworkManager/timestamps',
  '/var/lib/NetworkManager/seen-bssids',
  '/var/lib/NetworkManager/secret_key',
  '/var/lib/wicked/lease-*',
  '/var/lib/systemd/network/*.lease',
];

export const dhcpLeases: CustomizeOperation = {
  name: 'dhcp-leases',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove DHCP leases of dhclient, dhcpcd, NetworkManager, wicked and dhcpd',
  description: `Empties ${LEASE_DIRS.map((p) => `\`${p}\``).join(', ')} (directories kept) and removes ${LEASE_GLOBS.map((p) => `\`${p}\``).join(', ')} (NetworkManager's \`secret_key\` seeds per-host stable IPv6 addresses).`,
  options: [],
  async apply(_tree, { edit }) {
    for (const dir of LEASE_DIRS) edit.removeChildren(dir);
    for (const pattern of LEASE_GLOBS) for (const path of edit.glob(pattern)) edit.remove(path);
  },
};
