// Assigns inode numbers deterministically: root 2, lost+found 11, then every distinct node in the
// tree's walk order (a hard-link group gets its number at first sight), and gathers directory entries.
import assert from 'node:assert/strict';
import type { FileTree } from '../tree/file-tree.js';
import { makeMeta, type DirNode, type Node, type NodeMeta } from '../tree/node.js';
import { AmikitError } from '../shared/errors.js';
import {
  EXT4_FIRST_INO,
  EXT4_LINK_MAX,
  EXT4_ROOT_INO,
  FT_BLKDEV,
  FT_CHRDEV,
  FT_DIR,
  FT_FIFO,
  FT_REG_FILE,
  FT_SOCK,
  FT_SYMLINK,
  LOST_AND_FOUND_INO,
} from './format/constants.js';

export interface DirEntryRef {
  /** A byte string, the key the tree's directory holds it under. */
  name: string;
  ino: number;
  fileType: number;
}

export interface NumberedInode {
  ino: number;
  node: Node;
  /** i_links_count as stored (already 1 for directories beyond the link limit: dir_nlink). */
  linkCount: number;
  /** Directories only: the parent's inode number and the entries except "." and "..". */
  parentIno?: number;
  entries?: DirEntryRef[];
}

export interface InodeNumbering {
  /** Every used inode from 2 upward except the reserved ones, ascending by number. */
  inodes: NumberedInode[];
  /** Highest inode number in use. */
  lastIno: number;
}

const LOST_AND_FOUND_NAME = 'lost+found';

export function fileTypeOf(node: Node): number {
  switch (node.kind) {
    case 'file':
      return FT_REG_FILE;
    case 'dir':
      return FT_DIR;
    case 'symlink':
      return FT_SYMLINK;
    case 'char-device':
      return FT_CHRDEV;
    case 'block-device':
      return FT_BLKDEV;
    case 'fifo':
      return FT_FIFO;
    case 'socket':
      return FT_SOCK;
  }
}

/**
 * Numbers the inodes of `tree`. An existing /lost+found directory in the tree becomes inode 11 (its
 * metadata and contents kept); otherwise one is made with mode 0700 and `defaultMeta` times.
 * @throws AmikitError FS_LIMIT when a file has more links than ext4 can count, or /lost+found is not a directory.
 */
export function numberInodes(tree: FileTree, lostAndFoundTimeSec: number): InodeNumbering {
  const numbers = new Map<Node, NumberedInode>();
  const root: NumberedInode = { ino: EXT4_ROOT_INO, node: tree.root, linkCount: 0, parentIno: EXT4_ROOT_INO, entries: [] };
  numbers.set(tree.root, root);

  const existing = tree.root.children.get(LOST_AND_FOUND_NAME);
  if (existing && existing.kind !== 'dir') {
    throw new AmikitError('FS_LIMIT', `/lost+found must be a directory in an ext4 image, found a ${existing.kind}`);
  }
  const time = { sec: lostAndFoundTimeSec, nsec: 0 };
  const lostAndFoundNode: DirNode = existing ?? {
    kind: 'dir',
    meta: makeMeta({ mode: 0o700, mtime: time, atime: time, ctime: time }) as NodeMeta,
    children: new Map(),
  };
  const lostAndFound: NumberedInode = { ino: LOST_AND_FOUND_INO, node: lostAndFoundNode, linkCount: 0, parentIno: EXT4_ROOT_INO, entries: [] };
  numbers.set(lostAndFoundNode, lostAndFound);
  if (!existing) root.entries!.push({ name: LOST_AND_FOUND_NAME, ino: LOST_AND_FOUND_INO, fileType: FT_DIR });

  let nextIno = EXT4_FIRST_INO + 1;
  const ordered: NumberedInode[] = [];
  tree.forEachNode((node, parent, name) => {
    if (node === tree.root) return;
    let numbered = numbers.get(node);
    if (!numbered) {
      numbered = { ino: nextIno++, node, linkCount: 0 };
      if (node.kind === 'dir') numbered.entries = [];
      numbers.set(node, numbered);
      ordered.push(numbered);
    } else {
      assert.ok(node.kind !== 'dir' || node === lostAndFoundNode, 'a directory appears under two names');
    }
    const parentNumbered = numbers.get(parent)!;
    parentNumbered.entries!.push({ name, ino: numbered.ino, fileType: fileTypeOf(node) });
    if (node.kind === 'dir') numbered.parentIno = parentNumbered.ino;
    else numbered.linkCount++;
  });

  const all = [root, lostAndFound, ...ordered];
  for (const inode of all) {
    if (inode.node.kind === 'dir') {
      const subdirs = inode.entries!.filter((e) => e.fileType === FT_DIR).length;
      // dir_nlink: a count the 16-bit field cannot hold, or EXT4_LINK_MAX and above, is stored as 1.
      inode.linkCount = 2 + subdirs >= EXT4_LINK_MAX ? 1 : 2 + subdirs;
    } else if (inode.linkCount >= EXT4_LINK_MAX) {
      throw new AmikitError('FS_LIMIT', `inode ${inode.ino} has ${inode.linkCount} hard links; ext4 allows ${EXT4_LINK_MAX - 1}`, {
        data: { ino: inode.ino, links: inode.linkCount },
      });
    }
  }
  all.sort((a, b) => a.ino - b.ino);
  return { inodes: all, lastIno: Math.max(LOST_AND_FOUND_INO, nextIno - 1) };
}
