// Users who can log in and the SSH keys that let them: /etc/passwd entries with a login shell (as listed
// in /etc/shells, or any shell but nologin/false when it is absent), and the authorized_keys files sshd
// would read for each (AuthorizedKeysFile from sshd_config and its drop-ins, default ~/.ssh/authorized_keys
// and authorized_keys2), counting key lines.
import type { ImageEditor } from '../customize/image-editor.js';
import { displayPath } from '../tree/paths.js';
import { resolveFile, safeGlob, textLines, treeText } from './tree-text.js';

export interface UserFact {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** True when the shell lets the user log in interactively. */
  loginShell: boolean;
  /** Key lines (not blank, not comments) over all authorized keys files of the user. */
  authorizedKeys: number;
  /** The files that exist and were counted. */
  authorizedKeysFiles: string[];
}

/** sshd's compiled-in AuthorizedKeysFile. */
const DEFAULT_AUTHORIZED_KEYS_FILES = ['.ssh/authorized_keys', '.ssh/authorized_keys2'];
const NO_LOGIN_SHELL = /(^|\/)(nologin|false|sync|halt|shutdown)$/;

/**
 * Users with a login shell, plus any other user with authorized keys (a key on a system account is worth
 * seeing), in /etc/passwd order.
 */
export async function findUsers(edit: ImageEditor): Promise<UserFact[]> {
  const passwd = await treeText(edit, '/etc/passwd');
  if (!passwd) return [];
  const shells = await readShells(edit);
  const keyFiles = await authorizedKeysFiles(edit);
  const users: UserFact[] = [];
  const seen = new Set<string>();
  for (const line of textLines(passwd.text)) {
    const fields = line.split(':');
    if (fields.length < 7 || fields[0] === '' || fields[0]!.startsWith('#') || fields[0]!.startsWith('+') || fields[0]!.startsWith('-')) continue;
    const [name, , uidText, gidText, , home, shell] = fields as [string, string, string, string, string, string, string];
    if (seen.has(name) || !/^\d+$/.test(uidText) || !/^\d+$/.test(gidText)) continue;
    seen.add(name);
    const loginShell = shells ? shells.has(shell) : shell === '' || !NO_LOGIN_SHELL.test(shell);
    const files: string[] = [];
    let keys = 0;
    for (const pattern of keyFiles) {
      const path = expandKeysPath(pattern, name, home, Number(uidText));
      if (path === undefined) continue;
      const found = resolveFile(edit, path);
      if (!found || files.includes(displayPath(found.path))) continue;
      const text = await treeText(edit, found.path);
      if (!text) continue;
      files.push(displayPath(found.path));
      keys += countKeyLines(text.text);
    }
    if (!loginShell && keys === 0) continue;
    users.push({
      name: displayPath(name),
      uid: Number(uidText),
      gid: Number(gidText),
      home: displayPath(home),
      shell: displayPath(shell),
      loginShell,
      authorizedKeys: keys,
      authorizedKeysFiles: files,
    });
  }
  return users;
}

/** Lines that hold a key: not blank and not a comment (options-prefixed lines count). */
export function countKeyLines(text: string): number {
  return textLines(text).filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#')).length;
}

/** /etc/shells as a set, or undefined when the image has none (then a heuristic decides). */
async function readShells(edit: ImageEditor): Promise<Set<string> | undefined> {
  const file = await treeText(edit, '/etc/shells');
  if (!file) return undefined;
  return new Set(textLines(file.text).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')));
}

/**
 * The AuthorizedKeysFile patterns sshd would use: the first AuthorizedKeysFile outside a Match block in
 * sshd_config, where drop-ins (sshd_config.d/*.conf, read first by the usual Include at the top) win, as
 * sshd takes the first value it sees.
 */
export async function authorizedKeysFiles(edit: ImageEditor): Promise<string[]> {
  const dropIns = safeGlob(edit, '/etc/ssh/sshd_config.d/*.conf');
  for (const path of [...dropIns, '/etc/ssh/sshd_config']) {
    const file = await treeText(edit, path);
    if (!file) continue;
    for (const line of textLines(file.text)) {
      const trimmed = line.trim();
      if (/^match\s/i.test(trimmed)) break; // what follows is conditional; the global value was not set here
      const match = /^authorizedkeysfile\s+(.*)$/i.exec(trimmed);
      if (match) {
        const words = match[1]!.split(/\s+/).filter((word) => word !== '');
        return words.length === 1 && words[0]!.toLowerCase() === 'none' ? [] : words;
      }
    }
  }
  return DEFAULT_AUTHORIZED_KEYS_FILES;
}

/** Expands sshd's %h, %u, %U and %% tokens; a relative result is under the home directory. */
export function expandKeysPath(pattern: string, user: string, home: string, uid: number): string | undefined {
  let unknownToken = false;
  const expanded = pattern.replace(/%(.)/g, (_match, token: string) => {
    if (token === '%') return '%';
    if (token === 'h') return home;
    if (token === 'u') return user;
    if (token === 'U') return String(uid);
    unknownToken = true;
    return '';
  });
  if (unknownToken) return undefined;
  return expanded.startsWith('/') ? expanded : `${home.replace(/\/+$/, '')}/${expanded}`;
}
