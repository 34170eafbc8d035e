// The public types of the ext4 writer: where it writes, what it is asked for, and what it reports.
import type { FileHandle } from 'node:fs/promises';

/** The filesystem occupies [offsetBytes, offsetBytes + sizeBytes) of an open file that reads as zeros there. */
export interface Ext4Target {
  handle: FileHandle;
  offsetBytes: number;
  /** The same file opened with O_DIRECT, for the writer's large aligned writes (optional). */
  directHandle?: FileHandle;
}

export interface Ext4Progress {
  phase: string;
  doneBytes: number;
  totalBytes: number;
}

export interface Ext4Options {
  /** Filesystem size; without it the planner picks one that fits the content with free space. */
  sizeBytes?: number;
  /** Volume label, at most 16 bytes of UTF-8. */
  label?: string;
  /** Derives the UUID and directory hash seed; without it both are random. */
  seed?: string;
  /**
   * The filesystem UUID (8-4-4-4-12 hex), overriding the one `seed` derives: a rebuilt root filesystem
   * keeps the UUID fstab, the boot entry and the initramfs name it by (`amikit customize`).
   */
  uuid?: string;
  /** Filesystem creation and write time (SOURCE_DATE_EPOCH or now, chosen by the caller). */
  timestampSec: number;
  /** Drop metadata_csum and 64bit for old guests (e2fsck < 1.43, old GRUB). */
  compat?: boolean;
  onProgress?: (event: Ext4Progress) => void;
}

/** A run of filesystem blocks the writer wrote or declared; every block outside these runs is a hole. */
export interface WrittenRange {
  startBlock: number;
  blockCount: number;
  /**
   * true ⇒ the blocks must read back exactly as written even where they are zero (metadata, and file
   * data blocks that are all zeros); false ⇒ file data whose blocks all hold non-zero bytes, so an
   * uploader that sends every non-zero block already sends them.
   */
  meaningfulZeros: boolean;
}

export interface Ext4Result {
  sizeBytes: number;
  blockSizeBytes: number;
  blockCount: number;
  inodeCount: number;
  inodesUsed: number;
  blocksUsed: number;
  uuid: string;
  features: string[];
  writtenMap: WrittenRange[];
}
