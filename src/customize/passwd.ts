// /etc/passwd as the image's users (the only user database consulted offline, as virt-customize does:
// no NSS, LDAP or sssd) and the home directories the per-user operations visit.
import type { ImageEditor } from './image-editor.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Users of /etc/passwd by name; malformed lines are skipped, the first of a duplicated name wins (as getpwnam). */
export async function readPasswd(edit: ImageEditor): Promise<Map<string, PasswdEntry>> {
  const users = new Map<string, PasswdEntry>();
  const text = await edit.readText('/etc/passwd');
  if (text === undefined) return users;
  for (const line of text.split('\n')) {
    const fields = line.replace(/\r$/, '').split(':');
    if (fields.length < 7 || fields[0] === '' || fields[0]!.startsWith('#')) continue;
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || fields[2] === '' || fields[3] === '') continue;
    if (!users.has(fields[0]!)) users.set(fields[0]!, { name: fields[0]!, uid, gid, home: fields[5]! });
  }
  return users;
}

/**
 * Home directories that exist in the image: /root, every directory under /home, and every passwd home
 * that is a real directory outside system paths. Canonical paths, sorted, no duplicates.
 */
export async function homeDirectories(edit: ImageEditor): Promise<string[]> {
  const homes = new Set<string>();
  const add = (path: string): void => {
    const found = edit.resolve(path, true);
    if (found?.node?.kind === 'dir' && found.path !== '/') homes.add(found.path);
  };
  add('/root');
  for (const entry of edit.list('/home')) add(entry.path);
  for (const user of (await readPasswd(edit)).values()) {
    // Service accounts' homes (/var/lib/x, /bin, /nonexistent) are not user homes: only /home and /root trees.
    if (user.home.startsWith('/home/') || user.home === '/root') add(user.home);
  }
  return [...homes].sort();
}
