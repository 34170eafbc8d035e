// The extended-attribute fixture: inline and block-spilling sets, a shared block, POSIX ACLs,
// security.capability and security.selinux values, on files, a directory, a symlink and the root.
import type { FileTree } from '../../src/tree/file-tree.js';
import type { Node } from '../../src/tree/node.js';
import { bytesFile, meta, treeOf } from './fixture-nodes.js';

/** A POSIX ACL in the VFS xattr form (version 2): what getfattr and tar's SCHILY.xattr carry. */
function vfsAcl(entries: [tag: number, perm: number, id?: number][]): Buffer {
  const out = Buffer.alloc(4 + 8 * entries.length);
  out.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id], i) => {
    out.writeUInt16LE(tag, 4 + 8 * i);
    out.writeUInt16LE(perm, 6 + 8 * i);
    out.writeUInt32LE(id ?? 0xffffffff, 8 + 8 * i);
  });
  return out;
}

const USER_OBJ = 0x01;
const USER = 0x02;
const GROUP_OBJ = 0x04;
const GROUP = 0x08;
const MASK = 0x10;
const OTHER = 0x20;

function xattrs(entries: Record<string, Buffer | string>): Map<string, Buffer> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));
}

/**
 * `nulTerminated` gives SELinux labels their usual trailing NUL (the kernel and getfattr show it; the
 * shared debugfs reader in test/support cannot decode debugfs's "\\000" escape yet, so debugfs
 * round trips use labels without it and check NUL-terminated ones with `ea_get -f`).
 */
export function xattrTree(nulTerminated = true): FileTree {
  const selinux = (type: string): Buffer => Buffer.from(`system_u:object_r:${type}:s0${nulTerminated ? '\0' : ''}`);
  const big = Buffer.alloc(1500, 0x61);
  const capability = Buffer.from('0000000200200000000000000000000000000000', 'hex'); // v2, cap_net_raw permitted
  const entries: Record<string, Node> = {
    '/x/inline': bytesFile(Buffer.from('a'), { xattrs: xattrs({ 'user.k': 'v', 'security.selinux': selinux('etc_t') }) }),
    '/x/spill1': bytesFile(Buffer.from('b'), { xattrs: xattrs({ 'user.big': big, 'user.other': 'same', 'security.selinux': selinux('bin_t') }) }),
    '/x/spill2': bytesFile(Buffer.from('c'), { xattrs: xattrs({ 'user.big': big, 'user.other': 'same', 'security.selinux': selinux('bin_t') }) }),
    '/x/spill-other': bytesFile(Buffer.from('d'), { xattrs: xattrs({ 'user.big': Buffer.alloc(1500, 0x62) }) }),
    '/x/cap': bytesFile(Buffer.from('ping'), { mode: 0o755, xattrs: xattrs({ 'security.capability': capability }) }),
    '/x/acl-file': bytesFile(Buffer.from('acl'), {
      mode: 0o640,
      xattrs: xattrs({ 'system.posix_acl_access': vfsAcl([[USER_OBJ, 6], [USER, 4, 1000], [GROUP_OBJ, 4], [GROUP, 4, 100000], [MASK, 4], [OTHER, 0]]) }),
    }),
    '/x/acl-dir': {
      kind: 'dir',
      meta: meta({
        mode: 0o2755,
        xattrs: xattrs({
          'system.posix_acl_access': vfsAcl([[USER_OBJ, 7], [GROUP_OBJ, 5], [GROUP, 7, 4], [MASK, 7], [OTHER, 5]]),
          'system.posix_acl_default': vfsAcl([[USER_OBJ, 7], [GROUP_OBJ, 5], [GROUP, 7, 4], [MASK, 7], [OTHER, 5]]),
        }),
      }),
      children: new Map(),
    },
    '/x/link': { kind: 'symlink', meta: meta({ mode: 0o777, xattrs: xattrs({ 'security.selinux': selinux('lib_t') }) }), target: Buffer.from('inline') },
    '/x/trusted': bytesFile(Buffer.from('t'), { xattrs: xattrs({ 'trusted.overlay.opaque': 'y', 'user.empty': '' }) }),
  };
  return treeOf(entries, meta({ mode: 0o755, xattrs: xattrs({ 'security.selinux': selinux('root_t') }) }));
}

