// `--credential NAME=FILE`: a systemd credential in /etc/credstore (systemd.exec ImportCredential= and
// LoadCredential= search it), the offline way to hand secrets to units such as ssh.authorized_keys.root.
import { AmikitError } from '../../shared/errors.js';
import type { CustomizeOperation } from '../operation.js';
import { asList } from '../option-values.js';

export const CREDSTORE_DIR = '/etc/credstore';

export function parseCredentialSpec(text: string): { name: string; file: string } {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq);
  const file = text.slice(eq + 1);
  // systemd credential names are file names: no "/", not "." or "..", at most 255 bytes.
  if (eq <= 0 || file === '' || !/^[A-Za-z0-9_.@-]{1,255}$/.test(name) || name.startsWith('.')) {
    throw new AmikitError('USAGE', `--credential '${text}': expected NAME=FILE with NAME of letters, digits, _ . @ -`);
  }
  return { name, file };
}

export const credential: CustomizeOperation = {
  name: 'credential',
  kind: 'inject',
  enabledByDefault: false,
  order: 70,
  summary: 'store systemd credentials in /etc/credstore',
  description: '`--credential NAME=FILE` writes the host file FILE to `/etc/credstore/NAME`, `root:root` 0600, in a 0700 directory; units read it with `ImportCredential=NAME` or `LoadCredential=NAME` (systemd ≥ 252; e.g. `ssh.authorized_keys.root`, `passwd.hashed-password.root`).',
  options: [{ flag: 'credential', type: 'string', multiple: true, valueName: 'NAME=FILE', help: 'store host file FILE as systemd credential NAME in /etc/credstore (0600)' }],
  validate(values) {
    for (const spec of asList(values.credential)) parseCredentialSpec(spec);
  },
  async apply(_tree, { edit, values, readHostFile, requestRelabel }) {
    for (const spec of asList(values.credential).map(parseCredentialSpec)) {
      const bytes = await readHostFile(spec.file, 'credential');
      if (edit.resolve(CREDSTORE_DIR)?.node === undefined) edit.mkdirp(CREDSTORE_DIR, { mode: 0o700 });
      edit.writeFile(`${CREDSTORE_DIR}/${spec.name}`, bytes, { mode: 0o600, uid: 0, gid: 0 }, { force: true });
      requestRelabel();
    }
  },
};
