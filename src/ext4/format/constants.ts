// ext4 on-disk constants (kernel Documentation/filesystems/ext4/: super.rst, group_descr.rst, inodes.rst,
// ifork.rst, special_inodes.rst, journal.rst). Names follow the kernel's where one exists.

export const EXT4_SUPER_MAGIC = 0xef53;
export const SUPERBLOCK_OFFSET_BYTES = 1024;
export const SUPERBLOCK_SIZE_BYTES = 1024;

export const BLOCK_SIZE_BYTES = 4096;
export const LOG_BLOCK_SIZE = 2; // 1024 << 2
export const BLOCKS_PER_GROUP = 8 * BLOCK_SIZE_BYTES; // one bitmap block covers one group
export const INODE_SIZE_BYTES = 256;
export const INODES_PER_BLOCK = BLOCK_SIZE_BYTES / INODE_SIZE_BYTES;
export const GOOD_OLD_INODE_SIZE_BYTES = 128;
export const EXTRA_ISIZE_BYTES = 32;
export const INLINE_XATTR_SPACE_BYTES = INODE_SIZE_BYTES - GOOD_OLD_INODE_SIZE_BYTES - EXTRA_ISIZE_BYTES;
export const LOG_GROUPS_PER_FLEX = 4;
export const GROUPS_PER_FLEX = 1 << LOG_GROUPS_PER_FLEX;
export const DESC_SIZE_64BIT_BYTES = 64;
export const DESC_SIZE_32BIT_BYTES = 32;

// Special inodes (special_inodes.rst).
export const EXT4_BAD_INO = 1;
export const EXT4_ROOT_INO = 2;
export const EXT4_JOURNAL_INO = 8;
export const EXT4_FIRST_INO = 11;
export const LOST_AND_FOUND_INO = 11;
export const LOST_AND_FOUND_BLOCK_COUNT = 4;

// Feature flags (super.rst).
export const COMPAT_HAS_JOURNAL = 0x4;
export const COMPAT_EXT_ATTR = 0x8;
export const COMPAT_RESIZE_INODE = 0x10;
export const COMPAT_DIR_INDEX = 0x20;
export const COMPAT_SPARSE_SUPER2 = 0x200;
export const INCOMPAT_FILETYPE = 0x2;
export const INCOMPAT_RECOVER = 0x4;
export const INCOMPAT_META_BG = 0x10;
export const INCOMPAT_EXTENTS = 0x40;
export const INCOMPAT_64BIT = 0x80;
export const INCOMPAT_FLEX_BG = 0x200;
export const INCOMPAT_INLINE_DATA = 0x8000;
export const INCOMPAT_CSUM_SEED = 0x2000;
export const RO_COMPAT_SPARSE_SUPER = 0x1;
export const RO_COMPAT_LARGE_FILE = 0x2;
export const RO_COMPAT_HUGE_FILE = 0x8;
export const RO_COMPAT_DIR_NLINK = 0x20;
export const RO_COMPAT_EXTRA_ISIZE = 0x40;
export const RO_COMPAT_METADATA_CSUM = 0x400;
export const RO_COMPAT_READONLY = 0x1000;
export const RO_COMPAT_ORPHAN_PRESENT = 0x10000;

export const EXT4_STATE_CLEAN = 1;
export const EXT4_ERRORS_CONTINUE = 1;
export const EXT4_OS_LINUX = 0;
export const EXT4_DYNAMIC_REV = 1;
export const EXT4_DEFM_XATTR_USER = 0x4;
export const EXT4_DEFM_ACL = 0x8;
export const EXT4_FLAGS_UNSIGNED_HASH = 0x2;
export const EXT4_HASH_HALF_MD4 = 1;
export const EXT4_CRC32C_CHKSUM = 1;
export const EXT3_JNL_BACKUP_BLOCKS = 1;

// Group descriptor flags (group_descr.rst).
export const EXT4_BG_INODE_UNINIT = 0x1;
export const EXT4_BG_BLOCK_UNINIT = 0x2;
export const EXT4_BG_INODE_ZEROED = 0x4;

// Inode flags and mode bits (inodes.rst).
export const EXT4_INDEX_FL = 0x1000;
export const EXT4_EXTENTS_FL = 0x80000;
export const EXT4_HUGE_FILE_FL = 0x40000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;
/** Links a directory may count before dir_nlink makes it 1 ("many"), as EXT4_LINK_MAX. */
export const EXT4_LINK_MAX = 65000;
/** Longest symlink target kept in i_block (60 bytes, one for the terminating NUL). */
export const FAST_SYMLINK_MAX_BYTES = 59;

// Directory entry file types (directory.rst).
export const FT_REG_FILE = 1;
export const FT_DIR = 2;
export const FT_CHRDEV = 3;
export const FT_BLKDEV = 4;
export const FT_FIFO = 5;
export const FT_SOCK = 6;
export const FT_SYMLINK = 7;

// Extents (ifork.rst).
export const EXT4_EXT_MAGIC = 0xf30a;
export const EXTENT_ENTRY_BYTES = 12;
export const EXTENTS_IN_INODE = 4;
export const EXTENTS_PER_BLOCK = Math.floor((BLOCK_SIZE_BYTES - 12) / 12); // 340, then the 4-byte csum tail
export const EXT_INIT_MAX_LEN = 32768;

// jbd2 (journal.rst).
export const JBD2_MAGIC_NUMBER = 0xc03b3998;
export const JBD2_SUPERBLOCK_V2 = 4;
export const JBD2_MIN_JOURNAL_BLOCKS = 1024;
