// Forgets the build host's name so DHCP or cloud-init names each instance: /etc/hostname emptied,
// the old name dropped from /etc/hosts, and RH/SUSE files that pin a hostname cleaned.
import type { CustomizeOperation } from '../operation.js';
import { dropLines, editTextFile, splitLinesKeepEnds } from '../edit-text-file.js';
import { asString } from '../option-values.js';

const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'localhost4', 'localhost6', 'ip6-localhost', 'ip6-loopback', 'localhost4.localdomain4', 'localhost6.localdomain6']);

/** Removes `names` from every /etc/hosts line; a line left with an address only goes too. */
export function dropHostNames(text: string, names: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const line of splitLinesKeepEnds(text)) {
    const eol = /\r?\n$/.exec(line)?.[0] ?? '';
    const content = line.slice(0, line.length - eol.length);
    const hash = content.indexOf('#');
    const body = hash < 0 ? content : content.slice(0, hash);
    const fields = body.trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2 || !fields.slice(1).some((name) => names.has(name))) {
      out.push(line);
      continue;
    }
    const kept = fields.slice(1).filter((name) => !names.has(name));
    if (kept.length === 0) continue;
    out.push(`${fields[0]}\t${kept.join(' ')}${hash < 0 ? '' : ' ' + content.slice(hash)}${eol}`);
  }
  return out.join('');
}

export const hostnameReset: CustomizeOperation = {
  name: 'hostname-reset',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'empty /etc/hostname and drop the old name from /etc/hosts and ifcfg files',
  description:
    '`/etc/hostname` and SUSE `/etc/HOSTNAME` are emptied (systemd then takes the name from DHCP or cloud-init); the old name (and its short form) is removed from `/etc/hosts`, dropping lines left without a name (with `--hostname`, both files are left to that injection, which replaces the old name); `HOSTNAME=`/`DHCP_HOSTNAME=` lines go from `/etc/sysconfig/network` and every `ifcfg-*`, and `PRETTY_HOSTNAME=` from `/etc/machine-info`. Localhost names are never touched. `--hostname` (injection) runs later and writes the new name.',
  options: [],
  async apply(_tree, { edit, values }) {
    const names = new Set<string>();
    // With --hostname the injection replaces the old name itself; emptying it first would make every
    // re-run report a change that the injection undoes.
    const renamed = asString(values.hostname) !== undefined;
    for (const path of renamed ? [] : ['/etc/hostname', '/etc/HOSTNAME']) {
      const text = await edit.readText(path);
      const name = text?.split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#'));
      if (name && !LOCAL_NAMES.has(name)) {
        names.add(name);
        const short = name.split('.')[0]!;
        if (short !== '' && !LOCAL_NAMES.has(short)) names.add(short);
      }
      if (text !== undefined && text !== '') edit.writeFile(path, Buffer.alloc(0));
    }
    if (names.size > 0) await editTextFile(edit, '/etc/hosts', (text) => dropHostNames(text, names), `dropped ${[...names].join(', ')}`);
    const hostnameKey = (line: string): boolean => /^\s*(export\s+)?(HOSTNAME|DHCP_HOSTNAME)=/.test(line);
    const ifcfg = [...edit.glob('/etc/sysconfig/network-scripts/ifcfg-*'), ...edit.glob('/etc/sysconfig/network/ifcfg-*')];
    for (const path of ['/etc/sysconfig/network', ...ifcfg]) {
      await editTextFile(edit, path, (text) => dropLines(text, hostnameKey).text, 'HOSTNAME/DHCP_HOSTNAME dropped');
    }
    await editTextFile(edit, '/etc/machine-info', (text) => dropLines(text, (line) => /^\s*PRETTY_HOSTNAME=/.test(line)).text, 'PRETTY_HOSTNAME dropped');
  },
};
