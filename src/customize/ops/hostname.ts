// `--hostname NAME`: writes the name where each distro family reads it (/etc/hostname; SUSE /etc/HOSTNAME
// and RH /etc/sysconfig/network when present) and keeps /etc/hosts consistent (Debian's 127.0.1.1 line).
import { AmikitError } from '../../shared/errors.js';
import { editTextFile, splitLinesKeepEnds } from '../edit-text-file.js';
import type { CustomizeOperation } from '../operation.js';
import { asString } from '../option-values.js';
import { dropHostNames } from './hostname-reset.js';

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, ≤ 63 each, ≤ 253 total. */
export function checkHostname(name: string): void {
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (name.length === 0 || name.length > 253 || !name.split('.').every((part) => label.test(part))) {
    throw new AmikitError('USAGE', `--hostname '${name}' is not a valid host name (letters, digits, inner hyphens; labels of at most 63 characters)`);
  }
}

const DEFAULT_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/** /etc/hosts with the old names gone and exactly one `127.0.1.1 FQDN SHORT` line. */
export function hostsWithName(text: string, name: string, oldNames: ReadonlySet<string>): string {
  const short = name.split('.')[0]!;
  const names = name === short ? name : `${name} ${short}`;
  const line = `127.0.1.1\t${names}\n`;
  const cleaned = dropHostNames(text, new Set([...oldNames].filter((old) => old !== name && old !== short)));
  const lines = splitLinesKeepEnds(cleaned);
  const index = lines.findIndex((l) => /^\s*127\.0\.1\.1\s/.test(l));
  if (index >= 0) {
    lines[index] = line;
    return lines.filter((l, i) => i <= index || !/^\s*127\.0\.1\.1\s/.test(l)).join('');
  }
  const body = lines.join('');
  return body + (body === '' || body.endsWith('\n') ? '' : '\n') + line;
}

export const hostname: CustomizeOperation = {
  name: 'hostname',
  kind: 'inject',
  enabledByDefault: false,
  order: 50,
  summary: 'set the host name in /etc/hostname and /etc/hosts',
  description:
    '`--hostname NAME` writes `NAME\\n` to `/etc/hostname` (and SUSE `/etc/HOSTNAME`, RH `HOSTNAME=` in `/etc/sysconfig/network`, when present); in `/etc/hosts` the previous name is removed and one `127.0.1.1 NAME SHORT` line is kept (the file is created with localhost lines if missing). With cloud-init in the image, `/etc/cloud/cloud.cfg.d/90-amikit-hostname.cfg` sets `preserve_hostname: true` so EC2 metadata does not rename the instance.',
  options: [{ flag: 'hostname', type: 'string', valueName: 'NAME', help: 'host name to write to /etc/hostname and /etc/hosts' }],
  validate(values) {
    const name = asString(values.hostname);
    if (name !== undefined) checkHostname(name);
  },
  async apply(_tree, { edit, values, requestRelabel }) {
    const name = asString(values.hostname)!;
    const oldNames = new Set<string>();
    const old = (await edit.readText('/etc/hostname'))?.trim();
    if (old) {
      oldNames.add(old);
      oldNames.add(old.split('.')[0]!);
    }
    oldNames.delete('localhost');
    if (edit.lookup('/etc') === undefined) edit.mkdirp('/etc');
    edit.writeText('/etc/hostname', `${name}\n`);
    if (edit.lookup('/etc/HOSTNAME')) edit.writeText('/etc/HOSTNAME', name);
    await editTextFile(edit, '/etc/sysconfig/network', (text) => text.replace(/^(\s*HOSTNAME=).*$/m, (_m, key: string) => key + name));
    if (!(await editTextFile(edit, '/etc/hosts', (text) => hostsWithName(text, name, oldNames))) && edit.lookup('/etc/hosts') === undefined) {
      edit.writeText('/etc/hosts', hostsWithName(DEFAULT_HOSTS, name, oldNames));
    }
    if (edit.resolve('/etc/cloud/cloud.cfg')?.node) {
      edit.mkdirp('/etc/cloud/cloud.cfg.d');
      edit.writeText('/etc/cloud/cloud.cfg.d/90-amikit-hostname.cfg', '# Written by amikit --hostname: keep the baked host name.\npreserve_hostname: true\n');
    }
    requestRelabel();
  },
};
