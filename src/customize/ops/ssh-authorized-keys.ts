// `--ssh-key USER=PUBKEYFILE`: appends public keys to the user's authorized_keys with virt-customize's
// rules (passwd lookup, ~/.ssh 0700 and authorized_keys 0600 owned uid:gid, existing ones corrected), each key once,
// validated, and labelled ssh_home_t for SELinux images (sshd(8) AUTHORIZED_KEYS FILE FORMAT).
import { AmikitError } from '../../shared/errors.js';
import { displayPath, pathFromUtf8 } from '../../tree/paths.js';
import { joinChild } from '../image-editor.js';
import type { CustomizeOperation } from '../operation.js';
import { asList } from '../option-values.js';
import { readPasswd } from '../passwd.js';
import { readSelinuxState, selinuxLabelValue, SSH_HOME_LABEL } from '../selinux.js';
import { splitLinesKeepEnds } from '../edit-text-file.js';

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
]);

export interface PublicKey {
  /** The line as written to authorized_keys (options, type, base64, comment; no line end). */
  line: string;
  /** "type base64": what makes two lines the same key. */
  identity: string;
}

/** Splits an authorized_keys line into fields, keeping double-quoted option values (with spaces) whole. */
function fields(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && quoted && i + 1 < line.length) {
      current += c + line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && (c === ' ' || c === '\t')) {
      if (current !== '') out.push(current);
      current = '';
    } else current += c;
  }
  if (current !== '') out.push(current);
  return out;
}

/** The key of an authorized_keys line, or undefined when the line holds no valid key. */
export function parsePublicKeyLine(raw: string): PublicKey | undefined {
  const line = raw.replace(/\r$/, '').trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const parts = fields(line);
  // The type is the first field, or the second when the first is an options list.
  for (const index of [0, 1]) {
    const type = parts[index];
    const blob = parts[index + 1];
    if (type === undefined || blob === undefined || !KEY_TYPES.has(type)) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) return undefined;
    const bytes = Buffer.from(blob, 'base64');
    // The blob starts with its own type as an SSH string (uint32 length + bytes): a cheap integrity check.
    if (bytes.length < 4) return undefined;
    const length = bytes.readUInt32BE(0);
    if (length !== type.length || bytes.subarray(4, 4 + length).toString('latin1') !== type || bytes.length < 4 + length + 4) return undefined;
    return { line, identity: `${type} ${blob}` };
  }
  return undefined;
}

/**
 * The keys of a public-key file: every non-blank, non-comment line must be a valid key.
 * @throws AmikitError INPUT_FORMAT naming the file and line (a private key gets its own message).
 */
export function parsePublicKeyFile(text: string, file: string): PublicKey[] {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    throw new AmikitError('INPUT_FORMAT', `--ssh-key ${file} is a private key; give the .pub file`, { data: { file } });
  }
  const keys: PublicKey[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    const key = parsePublicKeyLine(line);
    if (!key) throw new AmikitError('INPUT_FORMAT', `--ssh-key ${file}:${index + 1}: not an OpenSSH public key line`, { data: { file, line: index + 1 } });
    keys.push(key);
  });
  if (keys.length === 0) throw new AmikitError('INPUT_FORMAT', `--ssh-key ${file}: no public key in the file`, { data: { file } });
  return keys;
}

export function parseSshKeySpec(text: string): { user: string; file: string } {
  const eq = text.indexOf('=');
  const user = text.slice(0, eq);
  const file = text.slice(eq + 1);
  if (eq <= 0 || file === '' || /[:\s/]/.test(user)) throw new AmikitError('USAGE', `--ssh-key '${text}': expected USER=PUBKEYFILE`);
  return { user, file };
}

export const sshAuthorizedKeys: CustomizeOperation = {
  name: 'ssh-authorized-keys',
  kind: 'inject',
  enabledByDefault: false,
  order: 90,
  summary: "append public keys to a user's authorized_keys",
  description:
    "`--ssh-key USER=PUBKEYFILE`: USER must be in the image's `/etc/passwd` (exit 2 otherwise) and their home must exist; `~/.ssh` (0700) and `authorized_keys` (0600) are created owned by the user's uid:gid when missing, and existing ones are set to that owner and mode (reported as a mode/owner change) because sshd's StrictModes refuses keys in a directory or file another user owns or can write; each key of the file is validated (exit 2 on a malformed line or a private key) and appended once, never duplicated, every line ending in a newline. On an SELinux image with its policy present both get `security.selinux=system_u:object_r:ssh_home_t:s0`; with SELinux enabled but no policy files, `/.autorelabel` is created. Symlinks (e.g. `~/.ssh`) are followed inside the image only; one leading outside is refused.",
  options: [{ flag: 'ssh-key', type: 'string', multiple: true, valueName: 'USER=PUBKEYFILE', help: "append the public keys of PUBKEYFILE to USER's authorized_keys" }],
  validate(values) {
    for (const spec of asList(values['ssh-key'])) parseSshKeySpec(spec);
  },
  async apply(_tree, { edit, values, readHostFile, requestRelabel }) {
    const users = await readPasswd(edit);
    const selinux = await readSelinuxState(edit);
    for (const spec of asList(values['ssh-key']).map(parseSshKeySpec)) {
      const user = users.get(spec.user);
      if (!user) throw new AmikitError('USAGE', `--ssh-key: user '${spec.user}' does not exist in the image's /etc/passwd`, { data: { user: spec.user } });
      const keys = parsePublicKeyFile((await readHostFile(spec.file, 'ssh-key')).toString('utf8'), spec.file);
      const home = edit.resolve(pathFromUtf8(user.home));
      if (!user.home.startsWith('/') || home?.node?.kind !== 'dir') {
        throw new AmikitError('INPUT_FORMAT', `--ssh-key: home directory ${user.home} of user '${spec.user}' does not exist in the image`, { data: { user: spec.user, home: user.home } });
      }
      const owner = { uid: user.uid, gid: user.gid };
      const sshDir = joinChild(home.path, '.ssh');
      const dir = edit.resolve(sshDir);
      if (!dir?.node) edit.mkdirp(sshDir, { mode: 0o700, ...owner });
      else if (dir.node.kind !== 'dir') throw new AmikitError('INPUT_FORMAT', `--ssh-key: ${displayPath(dir.path)} exists and is not a directory`, { data: { path: displayPath(dir.path) } });
      const keysPath = joinChild(edit.resolve(sshDir)!.path, 'authorized_keys');
      const existing = edit.resolve(keysPath);
      if (existing?.node && existing.node.kind !== 'file') throw new AmikitError('INPUT_FORMAT', `--ssh-key: ${displayPath(existing.path)} is not a regular file`, { data: { path: displayPath(existing.path) } });
      const before = existing?.node ? ((await edit.readText(keysPath)) ?? '') : '';
      const present = new Set(splitLinesKeepEnds(before).map((line) => parsePublicKeyLine(line)?.identity).filter((id): id is string => id !== undefined));
      let after = before === '' || before.endsWith('\n') ? before : before + '\n';
      for (const key of keys) {
        if (present.has(key.identity)) continue;
        present.add(key.identity);
        after += Buffer.from(key.line + '\n', 'utf8').toString('latin1');
      }
      if (!existing?.node || after !== before) edit.writeText(keysPath, after, { mode: 0o600, ...owner });
      // sshd's StrictModes refuses a key file or directory that another user owns or can write, and with
      // privilege separation it reads them as the user: so an existing ~/.ssh or authorized_keys (e.g. made
      // by root in an earlier layer, or 0775) is set to what a freshly created one would be.
      edit.setOwnership(sshDir, { mode: 0o700, ...owner });
      edit.setOwnership(keysPath, { mode: 0o600, ...owner });
      if (selinux.policyPresent) {
        for (const path of [sshDir, keysPath]) edit.setXattr(path, 'security.selinux', selinuxLabelValue(SSH_HOME_LABEL));
      } else if (selinux.inUse) {
        requestRelabel();
      }
    }
  },
};
