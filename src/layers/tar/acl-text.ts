// Converts the POSIX.1e ACL text that GNU tar and star store in SCHILY.acl.access / SCHILY.acl.default
// into the Linux VFS xattr value of system.posix_acl_access / system.posix_acl_default (version 2).
import { AmikitError } from '../../shared/errors.js';

/** Tags of the Linux xattr form (include/uapi/linux/posix_acl.h values). */
export const ACL_TAG = {
  USER_OBJ: 0x01,
  USER: 0x02,
  GROUP_OBJ: 0x04,
  GROUP: 0x08,
  MASK: 0x10,
  OTHER: 0x20,
} as const;

export const ACL_XATTR_VERSION = 2;
/** The id of entries that have no qualifier (owner, owning group, mask, other). */
export const ACL_UNDEFINED_ID = 0xffffffff;

export interface AclEntry {
  tag: number;
  perm: number;
  id: number;
}

/**
 * Parses ACL text such as `user::rwx,user:1000:r-x,group::r-x,mask::r-x,other::---`, entries separated by
 * commas or newlines. GNU tar and star may write `tag:name:perms:id`; the numeric id is used because
 * names cannot be resolved offline. A name without an id is refused for the same reason (the error's
 * `data.unresolvedName` says so, letting callers fall back to another copy of the ACL).
 * @throws AmikitError INPUT_FORMAT naming `where` on malformed text.
 */
export function parseAclText(text: string, where: string): AclEntry[] {
  const entries: AclEntry[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const entryText = raw.replace(/#.*$/, '').trim();
    if (entryText === '') continue;
    const fields = entryText.split(':').map((part) => part.trim());
    const tagName = fields[0]!;
    const bad = (reason: string, data: Record<string, unknown> = {}): AmikitError =>
      new AmikitError('INPUT_FORMAT', `${where}: bad ACL entry '${entryText}': ${reason}`, { data });
    let tag: number;
    let qualifier = '';
    let permText: string;
    let idText: string | undefined;
    if (tagName === 'user' || tagName === 'u' || tagName === 'group' || tagName === 'g') {
      if (fields.length < 3 || fields.length > 4) throw bad('expected tag:qualifier:perms[:id]');
      qualifier = fields[1]!;
      permText = fields[2]!;
      idText = fields[3];
      const isUser = tagName[0] === 'u';
      tag = qualifier === '' ? (isUser ? ACL_TAG.USER_OBJ : ACL_TAG.GROUP_OBJ) : isUser ? ACL_TAG.USER : ACL_TAG.GROUP;
    } else if (tagName === 'mask' || tagName === 'm' || tagName === 'other' || tagName === 'o') {
      // Both "mask::r-x" and the short "mask:r-x" occur.
      if (fields.length === 2) permText = fields[1]!;
      else if (fields.length === 3 && fields[1] === '') permText = fields[2]!;
      else throw bad('expected tag::perms');
      tag = tagName[0] === 'm' ? ACL_TAG.MASK : ACL_TAG.OTHER;
    } else {
      throw bad(`unknown tag '${tagName}'`);
    }
    let id: number = ACL_UNDEFINED_ID;
    if (tag === ACL_TAG.USER || tag === ACL_TAG.GROUP) {
      const numeric = idText ?? qualifier;
      if (!/^[0-9]{1,10}$/.test(numeric) || Number(numeric) >= ACL_UNDEFINED_ID) {
        if (idText === undefined) throw bad(`'${qualifier}' is a name without a numeric id`, { unresolvedName: qualifier });
        throw bad(`'${numeric}' is not a numeric id`);
      }
      id = Number(numeric);
    }
    let perm = 0;
    for (const c of permText) {
      if (c === 'r') perm |= 4;
      else if (c === 'w') perm |= 2;
      else if (c === 'x') perm |= 1;
      else if (c !== '-') throw bad(`bad permission '${c}'`);
    }
    if (permText === '' || permText.length > 3) throw bad(`bad permissions '${permText}'`);
    entries.push({ tag, perm, id });
  }
  entries.sort((a, b) => a.tag - b.tag || a.id - b.id);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.tag === entries[i - 1]!.tag && entries[i]!.id === entries[i - 1]!.id) {
      throw new AmikitError('INPUT_FORMAT', `${where}: ACL '${text.trim()}' has a duplicate entry`);
    }
  }
  return entries;
}

/** Encodes entries (sorted by tag, then id) as the Linux xattr value: u32 version, then {u16, u16, u32}. */
export function encodeAclXattr(entries: readonly AclEntry[]): Buffer {
  const value = Buffer.alloc(4 + 8 * entries.length);
  value.writeUInt32LE(ACL_XATTR_VERSION, 0);
  entries.forEach((entry, i) => {
    value.writeUInt16LE(entry.tag, 4 + 8 * i);
    value.writeUInt16LE(entry.perm, 6 + 8 * i);
    value.writeUInt32LE(entry.id, 8 + 8 * i);
  });
  return value;
}

/** ACL text → xattr value in one step; undefined when the text holds no entries. */
export function aclTextToXattr(text: string, where: string): Buffer | undefined {
  const entries = parseAclText(text, where);
  return entries.length === 0 ? undefined : encodeAclXattr(entries);
}

const TAG_WORD: Record<number, string> = {
  [ACL_TAG.USER_OBJ]: 'user',
  [ACL_TAG.USER]: 'user',
  [ACL_TAG.GROUP_OBJ]: 'group',
  [ACL_TAG.GROUP]: 'group',
  [ACL_TAG.MASK]: 'mask',
  [ACL_TAG.OTHER]: 'other',
};

/**
 * Renders a Linux ACL xattr value (version 2) in the text form GNU tar's `--acls` reads back
 * (`SCHILY.acl.access`), with numeric ids: a name would be resolved against the extracting host's
 * passwd, not the image's. Returns undefined for a value that is not a well-formed ACL.
 */
export function aclXattrToText(value: Buffer): string | undefined {
  if (value.length < 4 || (value.length - 4) % 8 !== 0 || value.readUInt32LE(0) !== ACL_XATTR_VERSION) return undefined;
  const lines: string[] = [];
  for (let offset = 4; offset < value.length; offset += 8) {
    const tag = value.readUInt16LE(offset);
    const perm = value.readUInt16LE(offset + 2);
    const id = value.readUInt32LE(offset + 4);
    const word = TAG_WORD[tag];
    if (word === undefined || perm > 7) return undefined;
    const qualifier = tag === ACL_TAG.USER || tag === ACL_TAG.GROUP ? String(id) : '';
    const perms = `${perm & 4 ? 'r' : '-'}${perm & 2 ? 'w' : '-'}${perm & 1 ? 'x' : '-'}`;
    lines.push(`${word}:${qualifier}:${perms}`);
  }
  return lines.join('\n') + '\n';
}
