// Switches network configuration with static addresses (the build host's IP, netmask and gateway) to DHCP,
// for ifcfg, NetworkManager keyfiles, netplan, systemd-networkd and ifupdown; loopback is never touched.
import type { CustomizeOperation } from '../operation.js';
import { editTextFile, splitLinesKeepEnds } from '../edit-text-file.js';

const body = (line: string): string => line.replace(/\r?\n$/, '');
const ending = (line: string): string => line.slice(body(line).length) || '\n';

/** ifcfg (RH and SUSE): BOOTPROTO=static|none (or absent with an IPADDR) becomes dhcp; address lines go. */
export function dhcpIfcfg(text: string): string {
  const lines = splitLinesKeepEnds(text);
  const assignment = (line: string): RegExpExecArray | null => /^(\s*(?:export\s+)?)([A-Z_0-9]+)=(['"]?)([^'"\s#]*)\3(.*)$/.exec(body(line));
  const value = (name: string): string | undefined => {
    for (const line of lines) {
      const m = assignment(line);
      if (m && m[2] === name) return m[4]!.toLowerCase();
    }
    return undefined;
  };
  if (value('DEVICE') === 'lo') return text;
  const isAddress = (name: string): boolean => /^(IPADDR|NETMASK|PREFIX(LEN)?|GATEWAY|BROADCAST|NETWORK)(_?\w*)?$/.test(name);
  const hasAddress = lines.some((line) => { const m = assignment(line); return m !== null && isAddress(m[2]!); });
  const proto = value('BOOTPROTO');
  // An ifcfg without BOOTPROTO but with IPADDR is static on RH systems (initscripts treat it as "none").
  if (!(proto === 'static' || proto === 'none' || (proto === undefined && hasAddress))) return text;
  const out: string[] = [];
  for (const line of lines) {
    const m = assignment(line);
    if (m && isAddress(m[2]!)) continue;
    if (m && m[2] === 'BOOTPROTO') out.push(`${m[1]}BOOTPROTO=${m[3]}dhcp${m[3]}${m[5]}${ending(line)}`);
    else out.push(line);
  }
  if (proto === undefined) {
    if (out.length > 0 && !out[out.length - 1]!.endsWith('\n')) out[out.length - 1] += '\n';
    out.push('BOOTPROTO=dhcp\n');
  }
  return out.join('');
}

/** NetworkManager keyfile: [ipv4]/[ipv6] method=manual becomes auto; address, gateway and route keys go. */
export function dhcpKeyfile(text: string): string {
  const lines = splitLinesKeepEnds(text);
  if (lines.some((line) => /^\s*type\s*=\s*loopback\s*$/.test(body(line)))) return text;
  const manual = new Set<string>();
  let section = '';
  for (const line of lines) {
    const header = /^\s*\[(.+)\]\s*$/.exec(body(line));
    if (header) section = header[1]!;
    else if ((section === 'ipv4' || section === 'ipv6') && /^\s*method\s*=\s*manual\s*$/.test(body(line))) manual.add(section);
  }
  if (manual.size === 0) return text;
  section = '';
  const out: string[] = [];
  for (const line of lines) {
    const header = /^\s*\[(.+)\]\s*$/.exec(body(line));
    if (header) section = header[1]!;
    if (!header && manual.has(section)) {
      if (/^\s*method\s*=/.test(line)) {
        out.push(`method=auto${ending(line)}`);
        continue;
      }
      if (/^\s*(address(es)?\d*|gateway|routes?\d*)\s*=/.test(line)) continue;
    }
    out.push(line);
  }
  return out.join('');
}

/** netplan: an interface with `addresses:` and no DHCPv4 gets `dhcp4: true`; addresses, gateways and routes go. */
export function dhcpNetplan(text: string): string {
  const lines = splitLinesKeepEnds(text);
  const indent = (line: string): number => /^ */.exec(line)![0].length;
  const blank = (line: string): boolean => line.trim() === '' || line.trim().startsWith('#');
  /** End (exclusive) of the block a key at `index` opens: deeper lines, or "- " items at its own level. */
  const blockEnd = (index: number): number => {
    const level = indent(lines[index]!);
    let end = index + 1;
    while (end < lines.length && (blank(lines[end]!) || indent(lines[end]!) > level || (indent(lines[end]!) === level && /^\s*- /.test(lines[end]!)))) end++;
    while (end > index + 1 && blank(lines[end - 1]!)) end--;
    return end;
  };
  const drop = new Set<number>();
  const replace = new Map<number, string>();
  const insertAfter = new Map<number, string>();
  lines.forEach((line, index) => {
    if (!/^\s*(ethernets|bonds|bridges|vlans|wifis|modems|tunnels|vrfs):\s*(#.*)?$/.test(body(line))) return;
    const end = blockEnd(index);
    // The interfaces are the direct children of the type key.
    let childLevel = -1;
    for (let i = index + 1; i < end; i++) {
      if (blank(lines[i]!)) continue;
      if (childLevel < 0) childLevel = indent(lines[i]!);
      if (indent(lines[i]!) !== childLevel) continue;
      const name = /^\s*("?)([^":#]+)\1:/.exec(body(lines[i]!))?.[2];
      if (name === undefined || name === 'lo') continue;
      const ifaceEnd = blockEnd(i);
      let keyLevel = -1;
      let dhcp4: number | undefined;
      let dhcp4On = false;
      const staticKeys: number[] = [];
      for (let j = i + 1; j < ifaceEnd; j++) {
        if (blank(lines[j]!)) continue;
        if (keyLevel < 0) keyLevel = indent(lines[j]!);
        if (indent(lines[j]!) !== keyLevel) continue;
        const key = /^\s*([\w-]+):\s*(.*)$/.exec(body(lines[j]!));
        if (!key) continue;
        if (key[1] === 'dhcp4') {
          dhcp4 = j;
          dhcp4On = /^(true|yes|on)\b/i.test(key[2]!);
        } else if (['addresses', 'gateway4', 'gateway6', 'routes'].includes(key[1]!)) staticKeys.push(j);
      }
      if (!staticKeys.some((j) => /^\s*addresses:/.test(lines[j]!)) || dhcp4On) continue;
      for (const j of staticKeys) for (let k = j; k < blockEnd(j); k++) drop.add(k);
      if (dhcp4 !== undefined) replace.set(dhcp4, `${' '.repeat(keyLevel)}dhcp4: true${ending(lines[dhcp4]!)}`);
      else insertAfter.set(i, `${' '.repeat(keyLevel)}dhcp4: true\n`);
    }
  });
  if (drop.size === 0) return text;
  return lines.map((line, index) => (drop.has(index) ? '' : (replace.get(index) ?? line)) + (insertAfter.get(index) ?? '')).join('');
}

/** networkd .network: Address=/Gateway= and [Address]/[Route] sections go; [Network] gets DHCP=yes. */
export function dhcpNetworkd(text: string): string {
  const lines = splitLinesKeepEnds(text);
  let section = '';
  const sectionOf = lines.map((line) => {
    const header = /^\s*\[(.+)\]\s*$/.exec(body(line));
    if (header) section = header[1]!;
    return section;
  });
  const matchesLoopback = lines.some((line, i) => sectionOf[i] === 'Match' && /^\s*Name\s*=\s*lo\s*$/.test(body(line)));
  const isStatic = (line: string, i: number): boolean => (sectionOf[i] === 'Network' && /^\s*(Address|Gateway)\s*=/.test(line)) || sectionOf[i] === 'Address' || sectionOf[i] === 'Route';
  if (matchesLoopback) return text;
  // Only a unit that gives an address is static; a [Route] alone (e.g. on a DHCP interface) stays.
  if (!lines.some((line, i) => (sectionOf[i] === 'Network' && /^\s*Address\s*=/.test(line)) || sectionOf[i] === 'Address')) return text;
  const out: string[] = [];
  let dhcpWritten = false;
  lines.forEach((line, i) => {
    if (isStatic(line, i)) return;
    if (sectionOf[i] === 'Network' && /^\s*DHCP\s*=/.test(line)) {
      if (!dhcpWritten) out.push(`DHCP=yes${ending(line)}`);
      dhcpWritten = true;
      return;
    }
    out.push(line);
    if (sectionOf[i] === 'Network' && /^\s*\[/.test(line) && !lines.some((l, k) => sectionOf[k] === 'Network' && /^\s*DHCP\s*=/.test(l))) {
      if (!line.endsWith('\n')) out[out.length - 1] += '\n';
      out.push('DHCP=yes\n');
      dhcpWritten = true;
    }
  });
  return out.join('');
}

/** ifupdown: `iface X inet static` becomes `inet dhcp` and its address/netmask/gateway/broadcast/network lines go. */
export function dhcpInterfaces(text: string): string {
  let inStatic = false;
  const out: string[] = [];
  for (const line of splitLinesKeepEnds(text)) {
    const stanza = /^(\s*iface\s+(\S+)\s+inet\s+)static\b(.*)$/.exec(body(line));
    if (/^\s*(iface|auto|allow-\S+|mapping|source(-directory)?|rename)\b/.test(line)) inStatic = false;
    if (stanza && stanza[2] !== 'lo') {
      out.push(`${stanza[1]}dhcp${stanza[3]}${ending(line)}`);
      inStatic = true;
      continue;
    }
    if (inStatic && /^\s*(address|netmask|gateway|broadcast|network)\s/.test(line)) continue;
    out.push(line);
  }
  return out.join('');
}

export const netStaticAddresses: CustomizeOperation = {
  name: 'net-static-addresses',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'switch interfaces with static IP addresses to DHCP, all distros',
  description:
    "On by default (virt-sysprep keeps static addresses) because an image is cloned onto hosts and subnets other than the builder's, where a baked-in address, netmask and gateway leave every clone unreachable or in conflict; deselect it with `--sysprep=defaults,-net-static-addresses` for an image meant to keep one. `ifcfg-*` with `BOOTPROTO=static|none` (or none given and an `IPADDR`) get `BOOTPROTO=dhcp` and lose `IPADDR*`, `NETMASK*`, `PREFIX*`, `GATEWAY*`, `BROADCAST*`, `NETWORK*`; NetworkManager keyfiles with `[ipv4]`/`[ipv6]` `method=manual` get `method=auto` and lose `address*`, `gateway`, `route*` there; a netplan interface with `addresses:` and no `dhcp4: true` gets `dhcp4: true` and loses `addresses:`, `gateway4:`, `gateway6:`, `routes:`; a networkd `.network` with `Address=` (or an `[Address]` section) loses `Address=`, `Gateway=`, `[Address]` and `[Route]` sections and gets `DHCP=yes`; ifupdown `iface X inet static` becomes `inet dhcp` without `address`, `netmask`, `gateway`, `broadcast`, `network`. Loopback (`lo`) is never touched.",
  options: [],
  async apply(_tree, { edit }) {
    for (const path of [...edit.glob('/etc/sysconfig/network-scripts/ifcfg-*'), ...edit.glob('/etc/sysconfig/network/ifcfg-*')]) {
      if (/\/ifcfg-lo$/.test(path)) continue;
      await editTextFile(edit, path, dhcpIfcfg, 'static address replaced by DHCP');
    }
    for (const entry of edit.list('/etc/NetworkManager/system-connections')) {
      if (entry.node.kind === 'file') await editTextFile(edit, entry.path, dhcpKeyfile, 'method=manual replaced by auto');
    }
    for (const path of [...edit.glob('/etc/netplan/*.yaml'), ...edit.glob('/etc/netplan/*.yml')]) {
      await editTextFile(edit, path, dhcpNetplan, 'static addresses replaced by dhcp4');
    }
    for (const path of edit.glob('/etc/systemd/network/*.network')) await editTextFile(edit, path, dhcpNetworkd, 'static addresses replaced by DHCP=yes');
    for (const path of ['/etc/network/interfaces', ...edit.glob('/etc/network/interfaces.d/*')]) {
      await editTextFile(edit, path, dhcpInterfaces, 'inet static replaced by inet dhcp');
    }
  },
};
