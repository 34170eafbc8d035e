// Unbinds network configuration from the build host's NICs (a clone has other MAC addresses): ifcfg
// HWADDR/MACADDR/UUID/LLADDR, NetworkManager mac-address, netplan match.macaddress + set-name, networkd
// MACAddress matches, ifupdown hwaddress, and udev persistent-net rules — all distros, not only RH.
import type { CustomizeOperation } from '../operation.js';
import type { ImageEditor } from '../image-editor.js';
import { dropLines, editTextFile, splitLinesKeepEnds } from '../edit-text-file.js';

/** Removes `macaddress:` from netplan `match:` blocks; an emptied match goes with its sibling `set-name:`. */
export function unbindNetplan(text: string): string {
  const lines = splitLinesKeepEnds(text);
  const indent = (line: string): number => /^ */.exec(line)![0].length;
  const blank = (line: string): boolean => line.trim() === '' || line.trim().startsWith('#');
  const drop = new Set<number>();
  lines.forEach((line, index) => {
    if (!/^\s*match:\s*(#.*)?$/.test(line.replace(/\r?\n$/, ''))) return;
    const level = indent(line);
    let end = index + 1;
    while (end < lines.length && (blank(lines[end]!) || indent(lines[end]!) > level)) end++;
    let remaining = 0;
    for (let i = index + 1; i < end; i++) {
      if (blank(lines[i]!)) continue;
      if (/^\s*macaddress:/.test(lines[i]!)) drop.add(i);
      else remaining++;
    }
    if (remaining > 0) return;
    drop.add(index);
    // set-name only works together with a match: find it among the match's siblings.
    let start = index;
    while (start > 0 && (blank(lines[start - 1]!) || indent(lines[start - 1]!) >= level)) start--;
    let stop = index + 1;
    while (stop < lines.length && (blank(lines[stop]!) || indent(lines[stop]!) >= level)) stop++;
    for (let i = start; i < stop; i++) if (indent(lines[i]!) === level && /^\s*set-name:/.test(lines[i]!)) drop.add(i);
  });
  return lines.filter((_line, index) => !drop.has(index)).join('');
}

/** Removes MAC matches from a networkd unit's [Match]; returns undefined when nothing else matched (drop the file). */
export function unbindNetworkd(text: string): string | undefined {
  const lines = splitLinesKeepEnds(text);
  let section = '';
  let macMatches = 0;
  let otherMatches = 0;
  const kept = lines.filter((line) => {
    const trimmed = line.trim();
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) section = header[1]!;
    if (section !== 'Match' || header || trimmed === '' || /^[#;]/.test(trimmed)) return true;
    if (/^(Permanent)?MACAddress\s*=/.test(trimmed)) {
      macMatches++;
      return false;
    }
    otherMatches++;
    return true;
  });
  if (macMatches === 0) return text;
  return otherMatches === 0 ? undefined : kept.join('');
}

async function unbindNetworkdFiles(edit: ImageEditor): Promise<void> {
  for (const path of [...edit.glob('/etc/systemd/network/*.link'), ...edit.glob('/etc/systemd/network/*.network')]) {
    const text = await edit.readText(path);
    if (text === undefined) continue;
    const result = unbindNetworkd(text);
    // A unit that matched only a MAC would match every interface once the MAC is gone: remove it.
    if (result === undefined) edit.remove(path, 'matched only a MAC address');
    else if (result !== text) await editTextFile(edit, path, () => result, 'MACAddress match dropped');
  }
}

export const netMacBindings: CustomizeOperation = {
  name: 'net-mac-bindings',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'unbind network configuration from the build host MAC addresses, all distros',
  description:
    'Drops `HWADDR=`, `MACADDR=`, `UUID=`, `LLADDR=` lines from `ifcfg-*` (RH and SUSE locations); `mac-address=` from NetworkManager keyfiles; `macaddress:` inside netplan `match:` (an emptied `match:` goes with its `set-name:`); `MACAddress=`/`PermanentMACAddress=` from networkd `.link`/`.network` `[Match]` (a unit that matched only a MAC is removed); `hwaddress` from `/etc/network/interfaces{,.d/*}`; removes udev `70-persistent-net.rules` and `70-persistent-ipoib.rules`.',
  options: [],
  async apply(_tree, { edit }) {
    const ifcfg = [...edit.glob('/etc/sysconfig/network-scripts/ifcfg-*'), ...edit.glob('/etc/sysconfig/network/ifcfg-*')];
    for (const path of ifcfg) {
      await editTextFile(edit, path, (text) => dropLines(text, (line) => /^\s*(export\s+)?(HWADDR|MACADDR|UUID|LLADDR)=/.test(line)).text, 'MAC/UUID binding dropped');
    }
    for (const entry of edit.list('/etc/NetworkManager/system-connections')) {
      if (entry.node.kind !== 'file') continue;
      await editTextFile(edit, entry.path, (text) => dropLines(text, (line) => /^\s*mac-address\s*=/.test(line)).text, 'mac-address dropped');
    }
    for (const path of [...edit.glob('/etc/netplan/*.yaml'), ...edit.glob('/etc/netplan/*.yml')]) {
      await editTextFile(edit, path, unbindNetplan, 'match.macaddress dropped');
    }
    await unbindNetworkdFiles(edit);
    for (const path of ['/etc/network/interfaces', ...edit.glob('/etc/network/interfaces.d/*')]) {
      await editTextFile(edit, path, (text) => dropLines(text, (line) => /^\s*hwaddress\s/.test(line)).text, 'hwaddress dropped');
    }
    for (const path of ['/etc/udev/rules.d/70-persistent-net.rules', '/etc/udev/rules.d/70-persistent-ipoib.rules']) edit.remove(path);
  },
};
