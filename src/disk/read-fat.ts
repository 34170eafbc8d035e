// Reads a FAT16/FAT32 filesystem (the EFI system partition; Microsoft FAT specification 1.03) into a
// FileTree: directories with long names, file sizes, contents read on demand from their cluster chains.
import { AmikitError } from '../shared/errors.js';
import type { ByteSource } from '../tree/byte-source.js';
import { FileTree } from '../tree/file-tree.js';
import { makeMeta, type DirNode, type Node } from '../tree/node.js';
import { ExtentRunSource } from '../ext4/read-ext4.js';

/** Directories are walked at most this deep: a corrupt ESP cannot recurse forever. */
const MAX_DEPTH = 32;
const ATTR_LONG_NAME = 0x0f;
const ATTR_DIRECTORY = 0x10;
const ATTR_VOLUME_ID = 0x08;

/** The ESP's tree; `offsetBytes` is where the FAT volume starts in `source`. @throws AmikitError INPUT_FORMAT */
export async function readFat(source: ByteSource, offsetBytes: number, sizeBytes: number, name: string): Promise<FileTree> {
  const fail = (message: string): AmikitError => new AmikitError('INPUT_FORMAT', `${name}: ${message}`, { data: { path: name } });
  const read = async (at: number, length: number): Promise<Buffer> => {
    if (at < 0 || at + length > sizeBytes) throw fail(`byte ${at}+${length} lies outside the FAT volume`);
    const buffer = Buffer.alloc(length);
    await source.readInto(buffer, 0, length, offsetBytes + at);
    return buffer;
  };
  const boot = await read(0, 512);
  if (boot.readUInt16LE(510) !== 0xaa55) throw fail('no FAT boot sector signature');
  const bytesPerSector = boot.readUInt16LE(11);
  const sectorsPerCluster = boot.readUInt8(13);
  const reservedSectors = boot.readUInt16LE(14);
  const fatCount = boot.readUInt8(16);
  const rootEntries = boot.readUInt16LE(17);
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32);
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0 || fatCount === 0 || fatSectors === 0) {
    throw fail('FAT boot sector geometry is invalid');
  }
  const clusterBytes = bytesPerSector * sectorsPerCluster;
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + fatCount * fatSectors + rootDirSectors;
  if (totalSectors * bytesPerSector > sizeBytes || firstDataSector >= totalSectors) throw fail('FAT volume is larger than its partition');
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const fat32 = clusterCount >= 65525;
  if (clusterCount < 4085) throw fail('FAT12 is not supported');
  const fat = await read(reservedSectors * bytesPerSector, fatSectors * bytesPerSector);
  const nextCluster = (cluster: number): number => (fat32 ? fat.readUInt32LE(cluster * 4) & 0x0fffffff : fat.readUInt16LE(cluster * 2));
  const endOfChain = fat32 ? 0x0ffffff8 : 0xfff8;
  /** The clusters of a chain, in order; a loop or a cluster outside the volume is corruption. */
  const chain = (first: number, what: string): number[] => {
    const clusters: number[] = [];
    const seen = new Set<number>();
    for (let cluster = first; cluster >= 2 && cluster < endOfChain; cluster = nextCluster(cluster)) {
      if (cluster >= clusterCount + 2 || (fat32 ? cluster * 4 + 4 : cluster * 2 + 2) > fat.length) throw fail(`${what}: cluster ${cluster} is outside the volume`);
      if (seen.has(cluster)) throw fail(`${what}: cluster chain loops at ${cluster}`);
      seen.add(cluster);
      clusters.push(cluster);
    }
    return clusters;
  };
  const clusterOffset = (cluster: number): number => (firstDataSector + (cluster - 2) * sectorsPerCluster) * bytesPerSector;

  const readDir = async (dir: DirNode, entries: Buffer, path: string, depth: number): Promise<void> => {
    let longName: string[] = [];
    for (let at = 0; at + 32 <= entries.length; at += 32) {
      const first = entries[at]!;
      if (first === 0x00) break;
      if (first === 0xe5) {
        longName = [];
        continue;
      }
      const attributes = entries[at + 11]!;
      if ((attributes & 0x3f) === ATTR_LONG_NAME) {
        const part = Buffer.concat([entries.subarray(at + 1, at + 11), entries.subarray(at + 14, at + 26), entries.subarray(at + 28, at + 32)]);
        longName.unshift(part.toString('utf16le').replace(/\0[\s\S]*$/, ''));
        continue;
      }
      const shortName = decodeShortName(entries.subarray(at, at + 11), entries[at + 12]!);
      const entryName = longName.length > 0 ? longName.join('') : shortName;
      longName = [];
      if ((attributes & ATTR_VOLUME_ID) !== 0 || entryName === '.' || entryName === '..') continue;
      if (entryName === '' || entryName.includes('/')) throw fail(`${path}: invalid entry name`);
      const firstCluster = (fat32 ? entries.readUInt16LE(at + 20) * 65536 : 0) + entries.readUInt16LE(at + 26);
      const key = Buffer.from(entryName, 'utf8').toString('latin1');
      const childPath = `${path}/${entryName}`;
      const meta = makeMeta({ mode: (attributes & ATTR_DIRECTORY) !== 0 ? 0o755 : 0o644 });
      let node: Node;
      if ((attributes & ATTR_DIRECTORY) !== 0) {
        if (depth >= MAX_DEPTH) throw fail(`${childPath}: directories nest deeper than ${MAX_DEPTH}`);
        const child: DirNode = { kind: 'dir', meta, children: new Map() };
        const clusters = chain(firstCluster, childPath);
        const parts: Buffer[] = [];
        for (const cluster of clusters) parts.push(await read(clusterOffset(cluster), clusterBytes));
        await readDir(child, Buffer.concat(parts), childPath, depth + 1);
        node = child;
      } else {
        const size = entries.readUInt32LE(at + 28);
        const clusters = size === 0 ? [] : chain(firstCluster, childPath);
        if (clusters.length * clusterBytes < size) throw fail(`${childPath}: ${size} bytes do not fit its ${clusters.length} clusters`);
        const runs: Array<{ physicalBytes: number; lengthBytes: number }> = [];
        let remaining = size;
        for (const cluster of clusters) {
          if (remaining === 0) break;
          const length = Math.min(clusterBytes, remaining);
          const physical = offsetBytes + clusterOffset(cluster);
          const last = runs[runs.length - 1];
          if (last && last.physicalBytes + last.lengthBytes === physical) last.lengthBytes += length;
          else runs.push({ physicalBytes: physical, lengthBytes: length });
          remaining -= length;
        }
        node = { kind: 'file', meta, sizeBytes: size, content: { kind: 'source', source: new ExtentRunSource(source, runs, `${name}:${childPath}`), offsetBytes: 0, storedBytes: size } };
      }
      dir.children.set(key, node);
    }
  };

  const root: DirNode = { kind: 'dir', meta: makeMeta({ mode: 0o755 }), children: new Map() };
  if (fat32) {
    const clusters = chain(boot.readUInt32LE(44), '/');
    const parts: Buffer[] = [];
    for (const cluster of clusters) parts.push(await read(clusterOffset(cluster), clusterBytes));
    await readDir(root, Buffer.concat(parts), '', 0);
  } else {
    await readDir(root, await read((reservedSectors + fatCount * fatSectors) * bytesPerSector, rootDirSectors * bytesPerSector), '', 0);
  }
  return new FileTree(root);
}

/** "KERNEL  EFI" → "KERNEL.EFI", honouring the lower-case flags of byte 12 (NT reserved). */
function decodeShortName(raw: Buffer, caseFlags: number): string {
  let base = raw.toString('latin1', 0, 8).trimEnd();
  let extension = raw.toString('latin1', 8, 11).trimEnd();
  if (base.startsWith('\x05')) base = '\xe5' + base.slice(1);
  if (caseFlags & 0x08) base = base.toLowerCase();
  if (caseFlags & 0x10) extension = extension.toLowerCase();
  return extension === '' ? base : `${base}.${extension}`;
}
