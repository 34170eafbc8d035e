// Writes a GUID partition table (UEFI 2.10 §5.2–5.3): the protective MBR in LBA 0, the primary header in
// LBA 1 with a 128-entry array after it, and the backup array + header at the end of the disk. The
// decoder is read-gpt.ts; both share the field offsets below.
import { crc32 } from 'node:zlib';

export const SECTOR_BYTES = 512;
/** 128 entries of 128 bytes: the array size every tool expects (32 sectors). */
export const GPT_ENTRY_COUNT = 128;
export const GPT_ENTRY_BYTES = 128;
const ENTRY_ARRAY_SECTORS = (GPT_ENTRY_COUNT * GPT_ENTRY_BYTES) / SECTOR_BYTES;
/** LBA 0 (MBR) + LBA 1 (header) + the entry array. */
export const GPT_PRIMARY_SECTORS = 2 + ENTRY_ARRAY_SECTORS;
/** The entry array + the backup header in the last LBA. */
export const GPT_BACKUP_SECTORS = ENTRY_ARRAY_SECTORS + 1;

export interface GptPartitionSpec {
  typeGuid: string;
  uniqueGuid: string;
  name: string;
  firstLba: number;
  /** Inclusive. */
  lastLba: number;
}

export interface EncodedGpt {
  /** Bytes for offset 0: protective MBR, primary header, entry array. */
  primary: Buffer;
  /** Bytes for the disk's last GPT_BACKUP_SECTORS sectors: entry array, then the backup header. */
  backup: Buffer;
  backupOffsetBytes: number;
}

/** Encodes a GPT for a disk of `diskSizeBytes` (a whole number of sectors). */
export function encodeGpt(diskSizeBytes: number, diskGuid: string, partitions: readonly GptPartitionSpec[]): EncodedGpt {
  const sectorCount = Math.floor(diskSizeBytes / SECTOR_BYTES);
  const lastLba = sectorCount - 1;
  const firstUsableLba = GPT_PRIMARY_SECTORS;
  const lastUsableLba = lastLba - GPT_BACKUP_SECTORS;
  const entries = Buffer.alloc(GPT_ENTRY_COUNT * GPT_ENTRY_BYTES);
  partitions.forEach((partition, i) => {
    if (partition.firstLba < firstUsableLba || partition.lastLba > lastUsableLba || partition.lastLba < partition.firstLba) {
      throw new RangeError(`partition ${i + 1} (LBA ${partition.firstLba}-${partition.lastLba}) is outside the usable LBAs ${firstUsableLba}-${lastUsableLba}`);
    }
    const at = i * GPT_ENTRY_BYTES;
    guidBytes(partition.typeGuid).copy(entries, at);
    guidBytes(partition.uniqueGuid).copy(entries, at + 16);
    entries.writeBigUInt64LE(BigInt(partition.firstLba), at + 32);
    entries.writeBigUInt64LE(BigInt(partition.lastLba), at + 40);
    entries.write(partition.name.slice(0, 36), at + 56, 'utf16le');
  });
  const entriesCrc = crc32(entries);
  const header = (myLba: number, alternateLba: number, entriesLba: number): Buffer => {
    const sector = Buffer.alloc(SECTOR_BYTES);
    sector.write('EFI PART', 0, 'latin1');
    sector.writeUInt32LE(0x00010000, 8); // revision 1.0
    sector.writeUInt32LE(92, 12); // header size
    sector.writeBigUInt64LE(BigInt(myLba), 24);
    sector.writeBigUInt64LE(BigInt(alternateLba), 32);
    sector.writeBigUInt64LE(BigInt(firstUsableLba), 40);
    sector.writeBigUInt64LE(BigInt(lastUsableLba), 48);
    guidBytes(diskGuid).copy(sector, 56);
    sector.writeBigUInt64LE(BigInt(entriesLba), 72);
    sector.writeUInt32LE(GPT_ENTRY_COUNT, 80);
    sector.writeUInt32LE(GPT_ENTRY_BYTES, 84);
    sector.writeUInt32LE(entriesCrc, 88);
    sector.writeUInt32LE(crc32(sector.subarray(0, 92)), 16);
    return sector;
  };
  const primary = Buffer.concat([protectiveMbr(sectorCount), header(1, lastLba, 2), entries]);
  const backupEntriesLba = lastLba - ENTRY_ARRAY_SECTORS;
  const backup = Buffer.concat([entries, header(lastLba, 1, backupEntriesLba)]);
  return { primary, backup, backupOffsetBytes: backupEntriesLba * SECTOR_BYTES };
}

/** One partition of type 0xEE covering the disk (UEFI 2.10 §5.2.3), so MBR-only tools see it as in use. */
function protectiveMbr(sectorCount: number): Buffer {
  const mbr = Buffer.alloc(SECTOR_BYTES);
  const entry = 446;
  mbr[entry + 1] = 0x00; // starting CHS 0/0/2
  mbr[entry + 2] = 0x02;
  mbr[entry + 4] = 0xee;
  mbr.fill(0xff, entry + 5, entry + 8); // ending CHS: the maximum, as the spec asks
  mbr.writeUInt32LE(1, entry + 8);
  mbr.writeUInt32LE(Math.min(sectorCount - 1, 0xffffffff), entry + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}

/** A GUID's on-disk bytes: the first three fields little-endian (the inverse of read-gpt's guidText). */
export function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a GUID: ${text}`);
  const raw = Buffer.from(hex, 'hex');
  raw.subarray(0, 4).reverse();
  raw.subarray(4, 6).reverse();
  raw.subarray(6, 8).reverse();
  return raw;
}
