// Reads a GUID partition table (UEFI 2.10 §5.3): the primary header at LBA 1 with its CRC32 and the CRC32
// of its entry array checked, the backup header (at the LBA the primary names) used when the primary fails.
import { crc32 } from 'node:zlib';
import { AmikitError } from '../shared/errors.js';

const SECTOR_BYTES = 512;
const SIGNATURE = 'EFI PART';
/** Entries read at most (the spec's minimum array is 128; anything far above is corrupt). */
const MAX_ENTRIES = 1024;

export const ESP_TYPE_GUID = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
/** Discoverable Partitions Specification root types, then the generic Linux filesystem type. */
export const ROOT_TYPE_GUIDS: Record<string, string> = {
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'root-x86-64',
  'b921b045-1df0-41c3-af44-4c6f280d3fae': 'root-arm64',
  '44479540-f297-41b2-9af7-d131d5f0458a': 'root-x86',
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'linux-data',
};

export interface GptPartition {
  /** 1-based, as sgdisk and Linux number them. */
  index: number;
  typeGuid: string;
  uniqueGuid: string;
  name: string;
  firstLba: number;
  lastLba: number;
  offsetBytes: number;
  sizeBytes: number;
}

export interface GptTable {
  diskGuid: string;
  /** Which header was used: the primary, or the backup when the primary or its entries failed their CRC. */
  header: 'primary' | 'backup';
  /** What was wrong with the primary, when the backup was used. */
  primaryProblem?: string;
  partitions: GptPartition[];
}

/** Reads `lengthBytes` at `offsetBytes` of the disk. */
export type ReadAt = (offsetBytes: number, lengthBytes: number) => Promise<Buffer>;

/** True when LBA 1 carries the GPT signature (the disk is partitioned with GPT). */
export async function hasGpt(readAt: ReadAt, diskSizeBytes: number): Promise<boolean> {
  if (diskSizeBytes < 2 * SECTOR_BYTES) return false;
  return (await readAt(SECTOR_BYTES, 8)).toString('latin1') === SIGNATURE;
}

/** @throws AmikitError INPUT_FORMAT when neither header (with its entries) is valid. */
export async function readGpt(readAt: ReadAt, diskSizeBytes: number, name: string): Promise<GptTable> {
  const primary = await readHeader(readAt, 1, diskSizeBytes);
  if (typeof primary !== 'string') return { ...primary, header: 'primary' };
  const lastLba = Math.floor(diskSizeBytes / SECTOR_BYTES) - 1;
  // The primary's alternate-LBA field cannot be trusted when it failed; the backup lives in the last LBA.
  const backup = await readHeader(readAt, lastLba, diskSizeBytes);
  if (typeof backup !== 'string') return { ...backup, header: 'backup', primaryProblem: primary };
  throw new AmikitError('INPUT_FORMAT', `${name}: no valid GPT (primary: ${primary}; backup: ${backup})`, { data: { path: name } });
}

async function readHeader(readAt: ReadAt, lba: number, diskSizeBytes: number): Promise<Omit<GptTable, 'header'> | string> {
  if ((lba + 1) * SECTOR_BYTES > diskSizeBytes) return `header LBA ${lba} is beyond the disk`;
  const sector = await readAt(lba * SECTOR_BYTES, SECTOR_BYTES);
  if (sector.toString('latin1', 0, 8) !== SIGNATURE) return `no signature at LBA ${lba}`;
  const headerSize = sector.readUInt32LE(12);
  if (headerSize < 92 || headerSize > SECTOR_BYTES) return `header size ${headerSize} is invalid`;
  const header = Buffer.from(sector.subarray(0, headerSize));
  const storedCrc = header.readUInt32LE(16);
  header.writeUInt32LE(0, 16);
  if (crc32(header) !== storedCrc) return `header CRC mismatch at LBA ${lba}`;
  const entriesLba = Number(sector.readBigUInt64LE(72));
  const entryCount = sector.readUInt32LE(80);
  const entrySize = sector.readUInt32LE(84);
  if (entrySize < 128 || entrySize % 8 !== 0 || entryCount > MAX_ENTRIES) return `entry array geometry (${entryCount} × ${entrySize}) is invalid`;
  if ((entriesLba * SECTOR_BYTES) + entryCount * entrySize > diskSizeBytes) return 'entry array lies beyond the disk';
  const entries = await readAt(entriesLba * SECTOR_BYTES, entryCount * entrySize);
  if (crc32(entries) !== sector.readUInt32LE(88)) return `entry array CRC mismatch (LBA ${entriesLba})`;
  const partitions: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    const at = i * entrySize;
    const typeGuid = guidText(entries.subarray(at, at + 16));
    if (typeGuid === '00000000-0000-0000-0000-000000000000') continue;
    const firstLba = Number(entries.readBigUInt64LE(at + 32));
    const lastLba = Number(entries.readBigUInt64LE(at + 40));
    if (lastLba < firstLba || (lastLba + 1) * SECTOR_BYTES > diskSizeBytes) return `partition ${i + 1} (LBA ${firstLba}-${lastLba}) is outside the disk`;
    partitions.push({
      index: i + 1,
      typeGuid,
      uniqueGuid: guidText(entries.subarray(at + 16, at + 32)),
      name: entries.subarray(at + 56, at + 128).toString('utf16le').replace(/\0.*$/s, ''),
      firstLba,
      lastLba,
      offsetBytes: firstLba * SECTOR_BYTES,
      sizeBytes: (lastLba - firstLba + 1) * SECTOR_BYTES,
    });
  }
  return { diskGuid: guidText(sector.subarray(56, 72)), partitions };
}

/** A GUID's text form: the first three fields are little-endian on disk. */
export function guidText(bytes: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}
