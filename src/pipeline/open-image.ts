// Opens an image for reading: a raw (sparse) file or a seekable .img.zst (random access, one frame at a
// time), holding a bare ext4 filesystem or a GPT disk whose root partition is found by type GUID and magic.
import { open } from 'node:fs/promises';
import { RawImageSource, type BlockSource } from '../blocks/block-source.js';
import { ESP_TYPE_GUID, hasGpt, readGpt, ROOT_TYPE_GUIDS, type GptTable } from '../disk/read-gpt.js';
import { EXT4_SUPER_MAGIC, SUPERBLOCK_OFFSET_BYTES } from '../ext4/format/constants.js';
import { readExt4, type Ext4Facts, type Ext4Volume } from '../ext4/read-ext4.js';
import { readFat } from '../disk/read-fat.js';
import { FileByteSource } from '../layers/byte-sources/file-byte-source.js';
import { AmikitError, ioError } from '../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../shared/units.js';
import type { SeekableZstdReader } from '../sinks/seekable-zstd-reader.js';
import { SEEK_TABLE_FOOTER_BYTES, SEEKABLE_MAGIC } from '../sinks/seekable-zstd-format.js';
import type { ByteSource } from '../tree/byte-source.js';
import type { FileTree } from '../tree/file-tree.js';

export interface OpenedImage {
  path: string;
  format: 'raw' | 'img.zst';
  sizeBytes: number;
  layout: 'filesystem' | 'gpt' | 'mbr';
  gpt?: GptTable;
  /** The primary MBR partitions of an MBR disk (extended partitions are not followed). */
  mbr?: MbrPartition[];
  /** The root filesystem's byte range, and its partition number on a disk. */
  root: { offsetBytes: number; sizeBytes: number; partition?: number };
  /** The EFI system partition, when the disk has one. */
  esp?: { partition: number; offsetBytes: number; sizeBytes: number };
  filesystem: Ext4Facts;
  /** The root filesystem's reader: inode numbers of tree nodes, per-inode details, checksum results. */
  ext4: Ext4Volume;
  /** The root filesystem's tree; file contents are read from the image on demand until close(). */
  readTree(): Promise<FileTree>;
  /** The ESP's tree (FAT16/32), when the disk has an ESP. */
  readEspTree?(): Promise<FileTree>;
  /** The whole image as a block source (for copying it), opened on demand and closed with the image. */
  blocks(): Promise<BlockSource>;
  close(): Promise<void>;
}

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames: 0x184D2A50 to 0x184D2A5F (a seekable image may start with one). */
const isZstdMagic = (magic: number): boolean => magic === ZSTD_FRAME_MAGIC || (magic & 0xfffffff0) === 0x184d2a50;

/**
 * True when `path` is an image this module opens (rather than a layer): a seekable zstd file (its footer
 * carries the seekable magic; a plain .tar.zst has none), or a raw file with a GPT signature at LBA 1 or
 * an ext4 superblock magic. Directories and unreadable paths are not images.
 */
export async function isImagePath(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size < 2048) return false;
    const head = Buffer.alloc(SUPERBLOCK_OFFSET_BYTES + 0x3a);
    await handle.read(head, 0, head.length, 0);
    if (isZstdMagic(head.readUInt32LE(0))) {
      const footer = Buffer.alloc(SEEK_TABLE_FOOTER_BYTES);
      await handle.read(footer, 0, footer.length, stats.size - footer.length);
      return footer.readUInt32LE(5) === SEEKABLE_MAGIC;
    }
    return head.toString('latin1', 512, 520) === 'EFI PART' || head.readUInt16LE(SUPERBLOCK_OFFSET_BYTES + 0x38) === EXT4_SUPER_MAGIC || decodeMbr(head.subarray(0, 512), stats.size) !== undefined;
  } finally {
    await handle.close();
  }
}

export async function openImage(path: string): Promise<OpenedImage> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(4);
      await handle.read(head, 0, 4, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError('open image', path, error);
  }
  // The zstd reader (zstd-napi, xxhash-wasm) loads only for .img.zst inputs: ~30 ms a raw image need not pay.
  const zstd = isZstdMagic(head.readUInt32LE(0)) ? await (await import('../sinks/seekable-zstd-reader.js')).SeekableZstdReader.open(path) : undefined;
  const source: ByteSource = zstd ? new ZstdImageByteSource(zstd) : await FileByteSource.open(path);
  const closers: Array<() => Promise<void>> = [() => source.close()];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const readAt = async (offsetBytes: number, lengthBytes: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(lengthBytes);
      await source.readInto(buffer, 0, lengthBytes, offsetBytes);
      return buffer;
    };
    const hasExt4At = async (offsetBytes: number, sizeBytes: number): Promise<boolean> =>
      sizeBytes >= 2048 && (await readAt(offsetBytes + SUPERBLOCK_OFFSET_BYTES + 0x38, 2)).readUInt16LE(0) === EXT4_SUPER_MAGIC;
    let layout: OpenedImage['layout'] = 'filesystem';
    let gpt: GptTable | undefined;
    let root: OpenedImage['root'] = { offsetBytes: 0, sizeBytes: source.sizeBytes };
    let esp: OpenedImage['esp'];
    let mbrPartitions: MbrPartition[] | undefined;
    if (await hasGpt(readAt, source.sizeBytes)) {
      layout = 'gpt';
      gpt = await readGpt(readAt, source.sizeBytes, path);
      const espPartition = gpt.partitions.find((p) => p.typeGuid === ESP_TYPE_GUID);
      if (espPartition) esp = { partition: espPartition.index, offsetBytes: espPartition.offsetBytes, sizeBytes: espPartition.sizeBytes };
      // A root type of the Discoverable Partitions Specification first, then generic Linux data, then any ext4.
      const ranked = [...gpt.partitions].sort((a, b) => rootRank(a.typeGuid) - rootRank(b.typeGuid) || a.index - b.index);
      let found: (typeof gpt.partitions)[number] | undefined;
      for (const partition of ranked) {
        if (partition.typeGuid === ESP_TYPE_GUID) continue;
        if (await hasExt4At(partition.offsetBytes, partition.sizeBytes)) {
          found = partition;
          break;
        }
      }
      if (!found) throw new AmikitError('INPUT_FORMAT', `${path}: no partition holds an ext4 filesystem (${gpt.partitions.length} partitions)`, { data: { path } });
      root = { offsetBytes: found.offsetBytes, sizeBytes: found.sizeBytes, partition: found.index };
    } else if (!(await hasExt4At(0, source.sizeBytes))) {
      const mbr = decodeMbr(await readAt(0, 512), source.sizeBytes);
      if (!mbr) throw new AmikitError('INPUT_FORMAT', `${path}: neither an ext4 filesystem nor a GPT or MBR disk`, { data: { path } });
      layout = 'mbr';
      mbrPartitions = mbr;
      // Linux (0x83) partitions first, then any other type holding an ext4 superblock.
      const ranked = [...mbr].sort((a, b) => Number(b.type === 0x83) - Number(a.type === 0x83) || a.index - b.index);
      let found: MbrPartition | undefined;
      for (const partition of ranked) {
        if (await hasExt4At(partition.offsetBytes, partition.sizeBytes)) {
          found = partition;
          break;
        }
      }
      if (!found) throw new AmikitError('INPUT_FORMAT', `${path}: no MBR partition holds an ext4 filesystem (${mbr.length} partitions)`, { data: { path } });
      root = { offsetBytes: found.offsetBytes, sizeBytes: found.sizeBytes, partition: found.index };
    }
    const volume = await readExt4(source, { offsetBytes: root.offsetBytes, name: root.partition ? `${path} partition ${root.partition}` : path });
    if (volume.facts.sizeBytes > root.sizeBytes) {
      throw new AmikitError('INPUT_FORMAT', `${path}: the filesystem (${volume.facts.sizeBytes} bytes) is larger than its ${root.partition ? 'partition' : 'image'} (${root.sizeBytes} bytes)`, { data: { path } });
    }
    let blockSource: BlockSource | undefined;
    return {
      path,
      format: zstd ? 'img.zst' : 'raw',
      sizeBytes: source.sizeBytes,
      layout,
      ...(gpt ? { gpt } : {}),
      ...(mbrPartitions ? { mbr: mbrPartitions } : {}),
      root,
      ...(esp ? { esp } : {}),
      filesystem: volume.facts,
      ext4: volume,
      readTree: () => volume.readTree(),
      ...(esp ? { readEspTree: () => readFat(source, esp.offsetBytes, esp.sizeBytes, `${path} partition ${esp.partition} (ESP)`) } : {}),
      async blocks() {
        if (blockSource) return blockSource;
        if (zstd) return (blockSource = zstd);
        const raw = await RawImageSource.open(path);
        closers.push(() => raw.close());
        return (blockSource = raw);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function rootRank(typeGuid: string): number {
  const role = ROOT_TYPE_GUIDS[typeGuid];
  return role === undefined ? 2 : role === 'linux-data' ? 1 : 0;
}

/** Random byte access to a seekable zstd image: whole 512 KiB blocks decompressed, the recent ones kept. */
class ZstdImageByteSource implements ByteSource {
  readonly name: string;
  readonly sizeBytes: number;
  private readonly cache = new Map<number, Buffer>();
  private static readonly CACHED_BLOCKS = 16;

  constructor(private readonly reader: SeekableZstdReader) {
    this.name = reader.path;
    this.sizeBytes = reader.sizeBytes;
  }

  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    if (offsetBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new AmikitError('INPUT_FORMAT', `${this.name}: read past the end of the image (byte ${offsetBytes + lengthBytes} of ${this.sizeBytes})`, { data: { path: this.name } });
    }
    let done = 0;
    while (done < lengthBytes) {
      const at = offsetBytes + done;
      const index = Math.floor(at / EBS_BLOCK_SIZE_BYTES);
      let block = this.cache.get(index);
      if (!block) {
        block = await this.reader.readBlock(index);
        if (this.cache.size >= ZstdImageByteSource.CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(index, block);
      }
      const within = at - index * EBS_BLOCK_SIZE_BYTES;
      const take = Math.min(block.length - within, lengthBytes - done);
      block.copy(target, targetOffset + done, within, within + take);
      done += take;
    }
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}

/** One primary partition of an MBR (a classic PC partition table). */
export interface MbrPartition {
  /** 1 to 4, the slot in the table. */
  index: number;
  /** The system id byte (0x83 Linux, 0xef EFI system, …). */
  type: number;
  bootable: boolean;
  firstLba: number;
  sectorCount: number;
  offsetBytes: number;
  sizeBytes: number;
}

const MBR_SECTOR_BYTES = 512;
const MBR_TABLE_OFFSET = 0x1be;
/** Types that describe no filesystem of their own: empty, extended (CHS/LBA/Linux), GPT protective. */
const MBR_SKIPPED_TYPES = new Set([0x00, 0x05, 0x0f, 0x85, 0xee]);

/**
 * The primary partitions of an MBR sector, or undefined when the sector is not one: the 0x55AA signature,
 * boot flags 0x00/0x80 only, and every used entry inside the image (a tar or a filesystem's boot sector
 * rarely passes all three).
 */
export function decodeMbr(sector: Buffer, imageSizeBytes: number): MbrPartition[] | undefined {
  if (sector.length < MBR_SECTOR_BYTES || sector.readUInt16LE(510) !== 0xaa55) return undefined;
  const partitions: MbrPartition[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const at = MBR_TABLE_OFFSET + slot * 16;
    const flag = sector[at]!;
    const type = sector[at + 4]!;
    const firstLba = sector.readUInt32LE(at + 8);
    const sectorCount = sector.readUInt32LE(at + 12);
    if (flag !== 0x00 && flag !== 0x80) return undefined;
    if (MBR_SKIPPED_TYPES.has(type) || sectorCount === 0) continue;
    const offsetBytes = firstLba * MBR_SECTOR_BYTES;
    const sizeBytes = sectorCount * MBR_SECTOR_BYTES;
    if (firstLba === 0 || offsetBytes + sizeBytes > imageSizeBytes) return undefined;
    partitions.push({ index: slot + 1, type, bootable: flag === 0x80, firstLba, sectorCount, offsetBytes, sizeBytes });
  }
  return partitions.length > 0 ? partitions : undefined;
}
