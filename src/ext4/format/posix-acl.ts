// Converts POSIX ACL xattr values between the Linux VFS form (system.posix_acl_*; what tar and getxattr
// carry) and ext4's compact on-disk form (kernel fs/ext4/acl.h; Documentation/filesystems/ext4/attributes.rst).
import { AmikitError } from '../../shared/errors.js';

/** posix_acl_xattr_header.a_version in the VFS form. */
const VFS_ACL_VERSION = 2;
/** ext4_acl_header.a_version on disk. */
const EXT4_ACL_VERSION = 1;
/** e_id of entries that have no qualifier, in the VFS form. */
const ACL_UNDEFINED_ID = 0xffffffff;

const ACL_USER_OBJ = 0x01;
const ACL_USER = 0x02;
const ACL_GROUP_OBJ = 0x04;
const ACL_GROUP = 0x08;
const ACL_MASK = 0x10;
const ACL_OTHER = 0x20;

/** Tags whose on-disk entry is the 4-byte ext4_acl_entry_short {e_tag, e_perm}. */
const SHORT_TAGS: ReadonlySet<number> = new Set([ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER]);
/** Tags that carry a uid/gid and take the 8-byte ext4_acl_entry {e_tag, e_perm, e_id}. */
const LONG_TAGS: ReadonlySet<number> = new Set([ACL_USER, ACL_GROUP]);

function malformed(message: string, value: Buffer): AmikitError {
  return new AmikitError('INPUT_FORMAT', `malformed POSIX ACL xattr: ${message}`, { data: { lengthBytes: value.length } });
}

/**
 * VFS form (u32 version 2, then 8-byte {u16 tag, u16 perm, u32 id} entries) → ext4 on-disk form
 * (u32 version 1, then 4-byte entries for USER_OBJ/GROUP_OBJ/MASK/OTHER and 8-byte ones for USER/GROUP).
 * @throws AmikitError INPUT_FORMAT on a wrong version, a length that is not 4 + 8n, or an unknown tag.
 */
export function aclXattrToDisk(value: Buffer): Buffer {
  if (value.length < 4 || (value.length - 4) % 8 !== 0) throw malformed('length is not 4 + 8 × entries', value);
  const version = value.readUInt32LE(0);
  if (version !== VFS_ACL_VERSION) throw malformed(`version ${version}, expected ${VFS_ACL_VERSION}`, value);
  const count = (value.length - 4) / 8;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(4);
  header.writeUInt32LE(EXT4_ACL_VERSION, 0); // 0x0 a_version
  parts.push(header);
  for (let i = 0; i < count; i++) {
    const at = 4 + i * 8;
    const tag = value.readUInt16LE(at);
    const perm = value.readUInt16LE(at + 2);
    if (SHORT_TAGS.has(tag)) {
      const entry = Buffer.alloc(4);
      entry.writeUInt16LE(tag, 0); // 0x0 e_tag
      entry.writeUInt16LE(perm, 2); // 0x2 e_perm
      parts.push(entry);
    } else if (LONG_TAGS.has(tag)) {
      const entry = Buffer.alloc(8);
      entry.writeUInt16LE(tag, 0); // 0x0 e_tag
      entry.writeUInt16LE(perm, 2); // 0x2 e_perm
      entry.writeUInt32LE(value.readUInt32LE(at + 4), 4); // 0x4 e_id
      parts.push(entry);
    } else {
      throw malformed(`unknown tag 0x${tag.toString(16)} in entry ${i}`, value);
    }
  }
  return Buffer.concat(parts);
}

/**
 * ext4 on-disk form → VFS form (the inverse of aclXattrToDisk; entries without a qualifier get
 * id 0xFFFFFFFF, as the kernel reports them).
 * @throws AmikitError INPUT_FORMAT on a wrong version, a truncated entry or an unknown tag.
 */
export function aclDiskToXattr(value: Buffer): Buffer {
  if (value.length < 4) throw malformed('shorter than its header', value);
  const version = value.readUInt32LE(0);
  if (version !== EXT4_ACL_VERSION) throw malformed(`version ${version}, expected ${EXT4_ACL_VERSION}`, value);
  const entries: Buffer[] = [];
  const header = Buffer.alloc(4);
  header.writeUInt32LE(VFS_ACL_VERSION, 0);
  entries.push(header);
  let at = 4;
  while (at < value.length) {
    if (at + 4 > value.length) throw malformed(`truncated entry at byte ${at}`, value);
    const tag = value.readUInt16LE(at);
    const perm = value.readUInt16LE(at + 2);
    const entry = Buffer.alloc(8);
    entry.writeUInt16LE(tag, 0);
    entry.writeUInt16LE(perm, 2);
    if (SHORT_TAGS.has(tag)) {
      entry.writeUInt32LE(ACL_UNDEFINED_ID, 4);
      at += 4;
    } else if (LONG_TAGS.has(tag)) {
      if (at + 8 > value.length) throw malformed(`truncated entry at byte ${at}`, value);
      entry.writeUInt32LE(value.readUInt32LE(at + 4), 4);
      at += 8;
    } else {
      throw malformed(`unknown tag 0x${tag.toString(16)} at byte ${at}`, value);
    }
    entries.push(entry);
  }
  return Buffer.concat(entries);
}
