// Writes a FAT32 filesystem (Microsoft FAT specification 1.03: BPB, FSInfo, two FATs, directories with
// VFAT long names) holding a few files, for the EFI system partition. Files are laid out contiguously
// and streamed from their source; everything after the last used cluster stays unwritten (zeros).
import type { FileHandle } from 'node:fs/promises';
import { AmikitError } from '../../shared/errors.js';

const SECTOR_BYTES = 512;
const RESERVED_SECTORS = 32;
const FAT_COUNT = 2;
/** Below this many clusters every reader (mtools, the kernel, firmware) takes the volume for FAT16. */
export const FAT32_MIN_CLUSTERS = 65_525;
const END_OF_CHAIN = 0x0fffffff;
const DIR_ENTRY_BYTES = 32;

export interface FatFile {
  /** Path inside the volume, '/'-separated, e.g. "EFI/BOOT/BOOTX64.EFI". */
  path: string;
  sizeBytes: number;
  /** Yields exactly sizeBytes bytes. */
  read: () => AsyncIterable<Buffer>;
}

export interface Fat32Options {
  label: string;
  volumeId: number;
  /** Every timestamp in the volume (clamped to FAT's 1980–2107 range). */
  timestampSec: number;
  /** The partition's first LBA (BPB_HiddSec). */
  hiddenSectors: number;
}

export interface Fat32Result {
  clusterCount: number;
  clusterBytes: number;
  /** Bytes from the volume's start that were written; the rest reads as zeros. */
  writtenBytes: number;
}

interface DirPlan {
  kind: 'dir';
  name: string;
  children: Array<DirPlan | FilePlan>;
  cluster: number;
  clusterCount: number;
}
interface FilePlan {
  kind: 'file';
  name: string;
  file: FatFile;
  cluster: number;
  clusterCount: number;
}

/** Geometry for a volume of `sizeBytes`: the largest cluster (≤ 4 KiB) that still gives a FAT32 cluster count. */
export function fat32Geometry(sizeBytes: number): { totalSectors: number; sectorsPerCluster: number; fatSectors: number; clusterCount: number } {
  const totalSectors = Math.floor(sizeBytes / SECTOR_BYTES);
  for (const sectorsPerCluster of [8, 4, 2, 1]) {
    let fatSectors = 1;
    let clusterCount = 0;
    // The FAT's size depends on the cluster count and the other way round: iterate to the fixed point.
    for (let i = 0; i < 8; i++) {
      clusterCount = Math.floor((totalSectors - RESERVED_SECTORS - FAT_COUNT * fatSectors) / sectorsPerCluster);
      fatSectors = Math.ceil(((clusterCount + 2) * 4) / SECTOR_BYTES);
    }
    clusterCount = Math.floor((totalSectors - RESERVED_SECTORS - FAT_COUNT * fatSectors) / sectorsPerCluster);
    // A margin above the minimum: some readers count differently by a few clusters.
    if (clusterCount >= FAT32_MIN_CLUSTERS + 16 && clusterCount < 0x0ffffff5) return { totalSectors, sectorsPerCluster, fatSectors, clusterCount };
  }
  throw new AmikitError('FS_LIMIT', `an EFI system partition of ${sizeBytes} bytes is too small for FAT32 (needs at least ${FAT32_MIN_CLUSTERS} clusters of 512 bytes)`);
}

/** Writes the volume at `offsetBytes` of `handle`. */
export async function writeFat32(handle: FileHandle, offsetBytes: number, sizeBytes: number, files: readonly FatFile[], options: Fat32Options): Promise<Fat32Result> {
  const geometry = fat32Geometry(sizeBytes);
  const clusterBytes = geometry.sectorsPerCluster * SECTOR_BYTES;
  const root: DirPlan = { kind: 'dir', name: '', children: [], cluster: 2, clusterCount: 0 };
  for (const file of files) addFile(root, file);

  // Allocation: directories first (breadth-first), then file data, each contiguous.
  let nextCluster = 2;
  const dirs: DirPlan[] = [];
  const queue: DirPlan[] = [root];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    dirs.push(dir);
    const entryCount = (dir === root ? 1 : 2) + dir.children.reduce((sum, child) => sum + 1 + longNameSlots(child.name), 0);
    dir.clusterCount = Math.max(1, Math.ceil((entryCount * DIR_ENTRY_BYTES) / clusterBytes));
    dir.cluster = nextCluster;
    nextCluster += dir.clusterCount;
    for (const child of dir.children) if (child.kind === 'dir') queue.push(child);
  }
  const filePlans: FilePlan[] = [];
  const collect = (dir: DirPlan): void => {
    for (const child of dir.children) (child.kind === 'dir' ? collect(child) : filePlans.push(child));
  };
  collect(root);
  for (const plan of filePlans) {
    plan.clusterCount = Math.ceil(plan.file.sizeBytes / clusterBytes);
    plan.cluster = plan.clusterCount === 0 ? 0 : nextCluster;
    nextCluster += plan.clusterCount;
  }
  const usedClusters = nextCluster - 2;
  if (usedClusters > geometry.clusterCount) {
    throw new AmikitError('NO_SPACE', `the EFI system partition (${sizeBytes} bytes) cannot hold its ${files.length} files: ${usedClusters * clusterBytes} bytes of clusters needed`);
  }

  const fat = Buffer.alloc(geometry.fatSectors * SECTOR_BYTES);
  fat.writeUInt32LE(0x0ffffff8, 0); // media descriptor in the low byte
  fat.writeUInt32LE(END_OF_CHAIN, 4);
  const chain = (first: number, count: number): void => {
    for (let i = 0; i < count; i++) fat.writeUInt32LE(i === count - 1 ? END_OF_CHAIN : first + i + 1, (first + i) * 4);
  };
  for (const dir of dirs) chain(dir.cluster, dir.clusterCount);
  for (const plan of filePlans) if (plan.clusterCount > 0) chain(plan.cluster, plan.clusterCount);

  const { date, time } = fatDateTime(options.timestampSec);
  const bootSector = encodeBootSector(geometry, options);
  const fsInfo = Buffer.alloc(SECTOR_BYTES);
  fsInfo.writeUInt32LE(0x41615252, 0);
  fsInfo.writeUInt32LE(0x61417272, 484);
  fsInfo.writeUInt32LE(geometry.clusterCount - usedClusters, 488);
  fsInfo.writeUInt32LE(nextCluster <= geometry.clusterCount + 1 ? nextCluster : 0xffffffff, 492);
  fsInfo.writeUInt32LE(0xaa550000, 508);
  // Reserved region: boot sector + FSInfo, and their backups at sector 6.
  const reserved = Buffer.alloc(RESERVED_SECTORS * SECTOR_BYTES);
  bootSector.copy(reserved, 0);
  fsInfo.copy(reserved, SECTOR_BYTES);
  bootSector.copy(reserved, 6 * SECTOR_BYTES);
  fsInfo.copy(reserved, 7 * SECTOR_BYTES);
  await handle.write(reserved, 0, reserved.length, offsetBytes);
  for (let i = 0; i < FAT_COUNT; i++) await handle.write(fat, 0, fat.length, offsetBytes + (RESERVED_SECTORS + i * geometry.fatSectors) * SECTOR_BYTES);

  const dataOffsetBytes = offsetBytes + (RESERVED_SECTORS + FAT_COUNT * geometry.fatSectors) * SECTOR_BYTES;
  const clusterOffset = (cluster: number): number => dataOffsetBytes + (cluster - 2) * clusterBytes;
  const parents = new Map<DirPlan, DirPlan>();
  for (const dir of dirs) for (const child of dir.children) if (child.kind === 'dir') parents.set(child, dir);
  for (const dir of dirs) {
    const bytes = Buffer.alloc(dir.clusterCount * clusterBytes);
    let at = 0;
    const put = (entry: Buffer): void => {
      entry.copy(bytes, at);
      at += DIR_ENTRY_BYTES;
    };
    if (dir === root) {
      put(shortEntry(padLabel(options.label), 0x08, 0, 0, date, time));
    } else {
      const parent = parents.get(dir)!;
      put(shortEntry(Buffer.from('.          ', 'latin1'), 0x10, dir.cluster, 0, date, time));
      put(shortEntry(Buffer.from('..         ', 'latin1'), 0x10, parent === root ? 0 : parent.cluster, 0, date, time));
    }
    const taken = new Set<string>();
    for (const child of dir.children) {
      const short = shortName(child.name, taken);
      if (short.needsLongName) for (const entry of longNameEntries(child.name, short.bytes)) put(entry);
      put(shortEntry(short.bytes, child.kind === 'dir' ? 0x10 : 0x20, child.cluster, child.kind === 'file' ? child.file.sizeBytes : 0, date, time));
    }
    await handle.write(bytes, 0, bytes.length, clusterOffset(dir.cluster));
  }
  for (const plan of filePlans) {
    let position = clusterOffset(plan.cluster);
    let written = 0;
    for await (const chunk of plan.file.read()) {
      if (written + chunk.length > plan.file.sizeBytes) throw new AmikitError('INTERNAL', `ESP file ${plan.file.path} yielded more than its ${plan.file.sizeBytes} bytes`);
      await handle.write(chunk, 0, chunk.length, position);
      position += chunk.length;
      written += chunk.length;
    }
    if (written !== plan.file.sizeBytes) throw new AmikitError('INTERNAL', `ESP file ${plan.file.path} yielded ${written} of its ${plan.file.sizeBytes} bytes`);
  }
  return { clusterCount: geometry.clusterCount, clusterBytes, writtenBytes: clusterOffset(nextCluster) - offsetBytes };
}

function addFile(root: DirPlan, file: FatFile): void {
  const parts = file.path.split('/').filter((part) => part !== '');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    let next = dir.children.find((child) => child.name.toUpperCase() === part.toUpperCase());
    if (!next) {
      next = { kind: 'dir', name: part, children: [], cluster: 0, clusterCount: 0 };
      dir.children.push(next);
    }
    if (next.kind !== 'dir') throw new AmikitError('INTERNAL', `ESP path ${file.path}: ${part} is a file`);
    dir = next;
  }
  dir.children.push({ kind: 'file', name: parts[parts.length - 1]!, file, cluster: 0, clusterCount: 0 });
}

function encodeBootSector(geometry: ReturnType<typeof fat32Geometry>, options: Fat32Options): Buffer {
  const sector = Buffer.alloc(SECTOR_BYTES);
  sector.set([0xeb, 0x58, 0x90], 0); // jump over the BPB, as every FAT boot sector starts
  sector.write('AMIKIT  ', 3, 'latin1');
  sector.writeUInt16LE(SECTOR_BYTES, 11);
  sector[13] = geometry.sectorsPerCluster;
  sector.writeUInt16LE(RESERVED_SECTORS, 14);
  sector[16] = FAT_COUNT;
  sector[21] = 0xf8; // fixed media
  sector.writeUInt16LE(63, 24); // sectors per track, heads: conventional values firmware ignores
  sector.writeUInt16LE(255, 26);
  sector.writeUInt32LE(options.hiddenSectors, 28);
  sector.writeUInt32LE(geometry.totalSectors, 32);
  sector.writeUInt32LE(geometry.fatSectors, 36);
  sector.writeUInt32LE(2, 44); // root directory cluster
  sector.writeUInt16LE(1, 48); // FSInfo sector
  sector.writeUInt16LE(6, 50); // backup boot sector
  sector[64] = 0x80;
  sector[66] = 0x29; // extended boot signature: volume id, label and type follow
  sector.writeUInt32LE(options.volumeId >>> 0, 67);
  padLabel(options.label).copy(sector, 71);
  sector.write('FAT32   ', 82, 'latin1');
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

function padLabel(label: string): Buffer {
  const clean = label.toUpperCase().replace(/[^A-Z0-9 _-]/g, '_').slice(0, 11);
  return Buffer.from(clean.padEnd(11, ' '), 'latin1');
}

function shortEntry(name: Buffer, attributes: number, cluster: number, sizeBytes: number, date: number, time: number): Buffer {
  const entry = Buffer.alloc(DIR_ENTRY_BYTES);
  name.copy(entry, 0, 0, 11);
  entry[11] = attributes;
  entry.writeUInt16LE(time, 14);
  entry.writeUInt16LE(date, 16);
  entry.writeUInt16LE(date, 18);
  entry.writeUInt16LE(cluster >>> 16, 20);
  entry.writeUInt16LE(time, 22);
  entry.writeUInt16LE(date, 24);
  entry.writeUInt16LE(cluster & 0xffff, 26);
  entry.writeUInt32LE(sizeBytes, 28);
  return entry;
}

const SHORT_CHAR = /^[A-Z0-9!#$%&'()@^_`{}~-]$/;

/** The 8.3 name; names that are not already upper-case 8.3 get a numbered alias plus long-name entries. */
function shortName(name: string, taken: Set<string>): { bytes: Buffer; needsLongName: boolean } {
  const dot = name.lastIndexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot + 1) : '';
  const isExact = base.length >= 1 && base.length <= 8 && extension.length <= 3 && [...base + extension].every((c) => SHORT_CHAR.test(c));
  if (isExact) {
    const text = base.padEnd(8, ' ') + extension.padEnd(3, ' ');
    taken.add(text);
    return { bytes: Buffer.from(text, 'latin1'), needsLongName: false };
  }
  const clean = (s: string): string => [...s.toUpperCase()].filter((c) => SHORT_CHAR.test(c)).join('');
  const stem = clean(base) || 'FILE';
  const ext = clean(extension).slice(0, 3).padEnd(3, ' ');
  for (let n = 1; n < 1_000_000; n++) {
    const suffix = `~${n}`;
    const text = (stem.slice(0, 8 - suffix.length) + suffix).padEnd(8, ' ') + ext;
    if (!taken.has(text)) {
      taken.add(text);
      return { bytes: Buffer.from(text, 'latin1'), needsLongName: true };
    }
  }
  throw new AmikitError('INTERNAL', `no short name left for ${name}`);
}

function longNameSlots(name: string): number {
  return Math.ceil((name.length + 1) / 13);
}

/** VFAT long-name entries, last part first as they sit on disk, each carrying the short name's checksum. */
function longNameEntries(name: string, short: Buffer): Buffer[] {
  let checksum = 0;
  for (let i = 0; i < 11; i++) checksum = (((checksum & 1) << 7) + (checksum >> 1) + short[i]!) & 0xff;
  const units: number[] = [...name].map((c) => c.charCodeAt(0));
  const slots = longNameSlots(name);
  units.push(0);
  while (units.length < slots * 13) units.push(0xffff);
  const entries: Buffer[] = [];
  for (let slot = slots; slot >= 1; slot--) {
    const entry = Buffer.alloc(DIR_ENTRY_BYTES);
    entry[0] = slot | (slot === slots ? 0x40 : 0);
    entry[11] = 0x0f;
    entry[13] = checksum;
    const part = units.slice((slot - 1) * 13, slot * 13);
    const offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    part.forEach((unit, i) => entry.writeUInt16LE(unit, offsets[i]!));
    entries.push(entry);
  }
  return entries;
}

/** FAT's local-time date and time fields; amikit writes UTC, clamped to the representable range. */
function fatDateTime(timestampSec: number): { date: number; time: number } {
  const clamped = Math.min(Math.max(timestampSec, Date.UTC(1980, 0, 1) / 1000), Date.UTC(2107, 11, 31, 23, 59, 58) / 1000);
  const d = new Date(clamped * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}
