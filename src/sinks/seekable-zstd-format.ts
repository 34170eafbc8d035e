// The zstd seekable format (zstd repo contrib/seekable_format/zstd_seekable_compression_format.md):
// independent zstd frames followed by a skippable frame holding the seek table. Also builds
// all-zero frames from RLE blocks (zstd_compression_format.md, "Blocks"), so holes cost no compression.
import { AmikitError } from '../shared/errors.js';

export const ZSTD_FRAME_MAGIC = 0xfd2fb528;
/** Skippable frame magic used for the seek table (any of 0x184D2A50..5F is skippable; the format names 5E). */
export const SEEK_TABLE_SKIPPABLE_MAGIC = 0x184d2a5e;
/** Last four bytes of a seekable file. */
export const SEEKABLE_MAGIC = 0x8f92eab1;
/** Number_Of_Frames (4) + Seek_Table_Descriptor (1) + Seekable_Magic_Number (4). */
export const SEEK_TABLE_FOOTER_BYTES = 9;
/** Seek_Table_Descriptor bit 7: every entry carries the low 32 bits of xxh64 of its frame's content. */
export const SEEK_TABLE_CHECKSUM_FLAG = 0x80;
/** Entry: Compressed_Size, Decompressed_Size, Checksum (all u32 LE). */
export const SEEK_TABLE_ENTRY_BYTES = 12;
/** The format caps a frame's decompressed size at 1 GiB. */
export const SEEKABLE_MAX_FRAME_DECOMPRESSED_BYTES = 0x40000000;

/** RLE blocks regenerate at most Block_Maximum_Size = min(window, 128 KiB). */
const ZERO_FRAME_BLOCK_BYTES = 128 * 1024;
/** Window_Descriptor for a 128 KiB window (Exponent 17 - 10 = 7, Mantissa 0): tiny decoder memory. */
const ZERO_FRAME_WINDOW_DESCRIPTOR = (17 - 10) << 3;
/** Frame_Header_Descriptor: Frame_Content_Size_flag 2 (4-byte content size), no single segment, no checksum, no dictionary. */
const ZERO_FRAME_HEADER_DESCRIPTOR = 2 << 6;
/** Block_Type RLE in bits 1–2 of a block header. */
const BLOCK_TYPE_RLE = 1;

export interface SeekTableEntry {
  compressedBytes: number;
  decompressedBytes: number;
  /** Low 32 bits of xxh64 of the frame's content; -1 when the table has no checksums. */
  checksum: number;
}

/** A standard zstd frame that decompresses to `lengthBytes` zeros (1 ≤ lengthBytes < 4 GiB). */
export function zeroFrame(lengthBytes: number): Buffer {
  const blockCount = Math.ceil(lengthBytes / ZERO_FRAME_BLOCK_BYTES);
  const frame = Buffer.alloc(4 + 1 + 1 + 4 + blockCount * 4);
  frame.writeUInt32LE(ZSTD_FRAME_MAGIC, 0);
  frame.writeUInt8(ZERO_FRAME_HEADER_DESCRIPTOR, 4);
  frame.writeUInt8(ZERO_FRAME_WINDOW_DESCRIPTOR, 5);
  frame.writeUInt32LE(lengthBytes, 6);
  let offset = 10;
  for (let block = 0; block < blockCount; block++) {
    const size = Math.min(ZERO_FRAME_BLOCK_BYTES, lengthBytes - block * ZERO_FRAME_BLOCK_BYTES);
    const isLast = block === blockCount - 1 ? 1 : 0;
    frame.writeUIntLE((size << 3) | (BLOCK_TYPE_RLE << 1) | isLast, offset, 3);
    frame.writeUInt8(0, offset + 3);
    offset += 4;
  }
  return frame;
}

/** The seek table skippable frame for `entries` (with checksums). */
export function encodeSeekTable(entries: readonly SeekTableEntry[]): Buffer {
  const frameSize = entries.length * SEEK_TABLE_ENTRY_BYTES + SEEK_TABLE_FOOTER_BYTES;
  const table = Buffer.alloc(8 + frameSize);
  table.writeUInt32LE(SEEK_TABLE_SKIPPABLE_MAGIC, 0);
  table.writeUInt32LE(frameSize, 4);
  let offset = 8;
  for (const entry of entries) {
    table.writeUInt32LE(entry.compressedBytes, offset);
    table.writeUInt32LE(entry.decompressedBytes, offset + 4);
    table.writeUInt32LE(entry.checksum >>> 0, offset + 8);
    offset += SEEK_TABLE_ENTRY_BYTES;
  }
  table.writeUInt32LE(entries.length, offset);
  table.writeUInt8(SEEK_TABLE_CHECKSUM_FLAG, offset + 4);
  table.writeUInt32LE(SEEKABLE_MAGIC, offset + 5);
  return table;
}

/** Reads the footer: how many entries, whether they carry checksums, and the whole table frame's size. */
export function decodeSeekTableFooter(footer: Buffer, path: string): { frameCount: number; hasChecksums: boolean; tableBytes: number } {
  if (footer.length !== SEEK_TABLE_FOOTER_BYTES || footer.readUInt32LE(5) !== SEEKABLE_MAGIC) {
    throw new AmikitError('INPUT_FORMAT', `${path} is not a seekable zstd image: no seek table at its end`, { data: { path } });
  }
  const descriptor = footer.readUInt8(4);
  // Reserved bits 6–2 must be zero; a future breaking change would set them.
  if ((descriptor & 0x7c) !== 0) {
    throw new AmikitError('INPUT_FORMAT', `${path}: seek table descriptor 0x${descriptor.toString(16)} uses reserved bits`, { data: { path } });
  }
  const frameCount = footer.readUInt32LE(0);
  const hasChecksums = (descriptor & SEEK_TABLE_CHECKSUM_FLAG) !== 0;
  const entryBytes = hasChecksums ? 12 : 8;
  return { frameCount, hasChecksums, tableBytes: 8 + frameCount * entryBytes + SEEK_TABLE_FOOTER_BYTES };
}

/** Parses the whole seek table frame (as located by its footer). */
export function decodeSeekTable(table: Buffer, path: string): SeekTableEntry[] {
  const footer = decodeSeekTableFooter(table.subarray(table.length - SEEK_TABLE_FOOTER_BYTES), path);
  const entryBytes = footer.hasChecksums ? 12 : 8;
  if (table.length !== footer.tableBytes || table.readUInt32LE(0) !== SEEK_TABLE_SKIPPABLE_MAGIC || table.readUInt32LE(4) !== table.length - 8) {
    throw new AmikitError('INPUT_FORMAT', `${path}: the seek table frame is malformed`, { data: { path } });
  }
  const entries: SeekTableEntry[] = [];
  for (let index = 0, offset = 8; index < footer.frameCount; index++, offset += entryBytes) {
    entries.push({
      compressedBytes: table.readUInt32LE(offset),
      decompressedBytes: table.readUInt32LE(offset + 4),
      checksum: footer.hasChecksums ? table.readUInt32LE(offset + 8) : -1,
    });
  }
  return entries;
}
