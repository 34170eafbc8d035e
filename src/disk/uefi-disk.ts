// The `--layout uefi` disk: protective MBR + GPT, an EFI system partition (FAT32, systemd-boot, one boot
// entry) at 1 MiB, and the root partition holding amikit's ext4, both 1 MiB aligned; partition types from
// the Discoverable Partitions Specification, GUIDs derived from the seed.
import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { AmikitError } from '../shared/errors.js';
import type { WrittenRange } from '../ext4/ext4-options.js';
import { ESP_TYPE_GUID } from './read-gpt.js';
import { encodeGpt, SECTOR_BYTES } from './write-gpt.js';
import type { DiskArchitecture } from './esp/boot-files.js';
import { writeFat32, type FatFile } from './esp/write-fat32.js';

const MiB = 1024 * 1024;
/** Partition alignment, and the gap before the first partition and after the last (backup GPT). */
export const PARTITION_ALIGN_BYTES = MiB;
/** Room for two or three kernels with their initrds; FAT32 with 2 KiB clusters at this size. */
export const ESP_SIZE_BYTES = 256 * MiB;
/** Units of the disk's written map (the ext4 block size; every region is aligned to it). */
export const DISK_MAP_BLOCK_BYTES = 4096;

/** Discoverable Partitions Specification root partition types. */
export const ROOT_TYPE_GUID: Record<DiskArchitecture, string> = {
  'x86-64': '4f68bce3-e8cd-4db1-96e7-fbcaf984b709',
  arm64: 'b921b045-1df0-41c3-af44-4c6f280d3fae',
};

export interface DiskPartition {
  index: number;
  role: 'esp' | 'root';
  name: string;
  typeGuid: string;
  partUuid: string;
  firstLba: number;
  lastLba: number;
  offsetBytes: number;
  sizeBytes: number;
}

export interface UefiDiskPlan {
  sizeBytes: number;
  diskGuid: string;
  esp: DiskPartition;
  root: DiskPartition;
}

/** The GUIDs a disk gets: derived from the seed (same seed ⇒ same disk), random without one. */
export function uefiDiskGuids(seed: string | undefined): { diskGuid: string; espPartUuid: string; rootPartUuid: string } {
  const guid = (purpose: string): string => {
    const bytes = seed === undefined ? randomBytes(16) : createHash('sha256').update(`amikit/disk/${purpose}\0${seed}`).digest().subarray(0, 16);
    bytes[6] = (bytes[6]! & 0x0f) | (seed === undefined ? 0x40 : 0x80); // RFC 9562: v4 random, v8 derived
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = Buffer.from(bytes).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  return { diskGuid: guid('disk'), espPartUuid: guid('esp'), rootPartUuid: guid('root') };
}

/** The root filesystem's size for a whole disk of `diskSizeBytes` (what --size means with --layout uefi). */
export function rootSizeForDisk(diskSizeBytes: number): number {
  const rootBytes = Math.floor((diskSizeBytes - ESP_SIZE_BYTES - 2 * PARTITION_ALIGN_BYTES) / PARTITION_ALIGN_BYTES) * PARTITION_ALIGN_BYTES;
  if (rootBytes < 16 * MiB) {
    throw new AmikitError('NO_SPACE', `a uefi disk of ${diskSizeBytes} bytes leaves no room for a root filesystem (the EFI system partition alone takes ${ESP_SIZE_BYTES / MiB} MiB)`);
  }
  return rootBytes;
}

export function planUefiDisk(options: { rootSizeBytes: number; diskSizeBytes?: number; architecture: DiskArchitecture; guids: ReturnType<typeof uefiDiskGuids> }): UefiDiskPlan {
  const rootPartBytes = Math.ceil(options.rootSizeBytes / PARTITION_ALIGN_BYTES) * PARTITION_ALIGN_BYTES;
  const sizeBytes = options.diskSizeBytes ?? PARTITION_ALIGN_BYTES + ESP_SIZE_BYTES + rootPartBytes + PARTITION_ALIGN_BYTES;
  const partition = (index: number, role: DiskPartition['role'], name: string, typeGuid: string, partUuid: string, offsetBytes: number, partBytes: number): DiskPartition => ({
    index,
    role,
    name,
    typeGuid,
    partUuid,
    firstLba: offsetBytes / SECTOR_BYTES,
    lastLba: (offsetBytes + partBytes) / SECTOR_BYTES - 1,
    offsetBytes,
    sizeBytes: partBytes,
  });
  const esp = partition(1, 'esp', 'EFI System Partition', ESP_TYPE_GUID, options.guids.espPartUuid, PARTITION_ALIGN_BYTES, ESP_SIZE_BYTES);
  const root = partition(2, 'root', 'root', ROOT_TYPE_GUID[options.architecture], options.guids.rootPartUuid, PARTITION_ALIGN_BYTES + ESP_SIZE_BYTES, rootPartBytes);
  return { sizeBytes, diskGuid: options.guids.diskGuid, esp, root };
}

/**
 * Writes the partition tables and the ESP (the root filesystem is written by the ext4 writer at
 * plan.root.offsetBytes). Returns the ranges written, in DISK_MAP_BLOCK_BYTES units.
 */
export async function writeUefiDiskFrame(handle: FileHandle, plan: UefiDiskPlan, espFiles: readonly FatFile[], timestampSec: number): Promise<WrittenRange[]> {
  const gpt = encodeGpt(plan.sizeBytes, plan.diskGuid, [plan.esp, plan.root].map((p) => ({ ...p, uniqueGuid: p.partUuid })));
  await handle.write(gpt.primary, 0, gpt.primary.length, 0);
  await handle.write(gpt.backup, 0, gpt.backup.length, gpt.backupOffsetBytes);
  const fat = await writeFat32(handle, plan.esp.offsetBytes, plan.esp.sizeBytes, espFiles, {
    label: 'ESP',
    volumeId: Number.parseInt(plan.esp.partUuid.slice(0, 8), 16),
    timestampSec,
    hiddenSectors: plan.esp.firstLba,
  });
  return [
    byteRange(0, gpt.primary.length),
    byteRange(plan.esp.offsetBytes, fat.writtenBytes),
    byteRange(gpt.backupOffsetBytes, gpt.backup.length),
  ];
}

/** A byte range as whole map blocks (rounded outwards), all meaningful. */
export function byteRange(offsetBytes: number, lengthBytes: number): WrittenRange {
  const startBlock = Math.floor(offsetBytes / DISK_MAP_BLOCK_BYTES);
  const endBlock = Math.ceil((offsetBytes + lengthBytes) / DISK_MAP_BLOCK_BYTES);
  return { startBlock, blockCount: endBlock - startBlock, meaningfulZeros: true };
}

/** The ext4 writer's map (its blocks) moved to the disk's map at the partition's offset. */
export function shiftWrittenMap(ranges: readonly WrittenRange[], fsBlockSizeBytes: number, offsetBytes: number): WrittenRange[] {
  return ranges.map((range) => {
    const shifted = byteRange(offsetBytes + range.startBlock * fsBlockSizeBytes, range.blockCount * fsBlockSizeBytes);
    return { ...shifted, meaningfulZeros: range.meaningfulZeros };
  });
}
