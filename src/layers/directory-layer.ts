// A host directory as a layer: an lstat walk in byte order of names, hard links grouped by (dev, ino),
// nanosecond times, devices, FIFOs and sockets; file bytes are referenced through lazily opened sources.
// Its contents become the image's; the directory's own attributes do not (the image root keeps its own).
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { AmikitError, ioError } from '../shared/errors.js';
import { makeMeta, type Timespec } from '../tree/node.js';
import { displayPath } from '../tree/paths.js';
import { LazyFileByteSource } from './byte-sources/lazy-file-byte-source.js';
import { batchEntries } from './batch-entries.js';
import type { Layer, LayerEntry } from './layer.js';

const NS_PER_SEC = 1_000_000_000n;
const SLASH = Buffer.from('/');

export interface DirectoryLayerOptions {
  /** Called once per layer: directory layers carry no xattrs (Node has no xattr API). */
  onWarning?(message: string): void;
}

export class DirectoryLayer implements Layer {
  readonly name: string;
  private readonly rootPath: Buffer;
  private readonly sources = new Set<LazyFileByteSource>();

  private constructor(rootPath: Buffer, name: string) {
    this.rootPath = rootPath;
    this.name = name;
  }

  /**
   * Opens `path` (which must be a directory) as a layer.
   * @throws AmikitError INPUT_NOT_FOUND when missing, INPUT_FORMAT when not a directory.
   */
  static async open(path: string | Buffer, options: DirectoryLayerOptions = {}): Promise<DirectoryLayer> {
    const rootPath = Buffer.isBuffer(path) ? path : Buffer.from(path);
    const name = hostPathText(rootPath);
    let stats: BigIntStats;
    try {
      // The path the user named may itself be a symlink to the directory; only entries inside are lstat'ed.
      stats = await stat(rootPath, { bigint: true });
    } catch (error) {
      throw ioError('open layer', name, error);
    }
    if (!stats.isDirectory()) throw new AmikitError('INPUT_FORMAT', `${name}: not a directory`, { data: { path: name } });
    options.onWarning?.(
      `${name}: directory layer read without extended attributes (Node.js has no xattr API): capabilities, SELinux labels and ACLs of its files are not carried into the image`,
    );
    return new DirectoryLayer(rootPath, name);
  }

  entryBatches(): AsyncGenerator<LayerEntry[]> {
    return batchEntries(this.entries());
  }

  /** The entries one at a time, in walk order. */
  async *entries(): AsyncGenerator<LayerEntry> {
    /** First path seen per (dev, ino) of multiply-linked non-directories: later names become hard links. */
    const firstPathOfInode = new Map<string, string>();
    // The directory itself is not an entry: its owner and mode are the host's (often a user's 0700 temp
    // dir), which would otherwise replace the image root's attributes when the layer sits on top.
    yield* this.walk(this.rootPath, '', firstPathOfInode);
  }

  async close(): Promise<void> {
    const sources = [...this.sources];
    this.sources.clear();
    await Promise.all(sources.map((source) => source.close()));
  }

  private async *walk(hostDir: Buffer, relDir: string, firstPathOfInode: Map<string, string>): AsyncGenerator<LayerEntry> {
    let names: Buffer[];
    try {
      names = await readdir(hostDir, { encoding: 'buffer' });
    } catch (error) {
      throw ioError('read directory', hostPathText(hostDir), error);
    }
    // Byte order of raw names, so the walk (and everything downstream) does not depend on the locale.
    names.sort(Buffer.compare);
    for (const nameBytes of names) {
      const hostPath = Buffer.concat([hostDir, SLASH, nameBytes]);
      const name = nameBytes.toString('latin1');
      const relPath = relDir === '' ? name : `${relDir}/${name}`;
      const stats = await this.lstat(hostPath);
      yield this.entryFor(relPath, hostPath, stats, firstPathOfInode);
      if (stats.isDirectory()) yield* this.walk(hostPath, relPath, firstPathOfInode);
    }
  }

  private async lstat(hostPath: Buffer): Promise<BigIntStats> {
    try {
      return await lstat(hostPath, { bigint: true });
    } catch (error) {
      throw ioError('stat', hostPathText(hostPath), error);
    }
  }

  private async entryFor(
    relPath: string,
    hostPath: Buffer,
    stats: BigIntStats,
    firstPathOfInode: Map<string, string>,
  ): Promise<LayerEntry> {
    const meta = makeMeta({
      mode: Number(stats.mode & 0o7777n),
      uid: Number(stats.uid),
      gid: Number(stats.gid),
      mtime: timespecOf(stats.mtimeNs),
      atime: timespecOf(stats.atimeNs),
      ctime: timespecOf(stats.ctimeNs),
    });
    const where = `${this.name}: ${displayPath(relPath)}`;
    const base = { path: relPath, meta, sizeBytes: 0, devMajor: 0, devMinor: 0, where };
    if (stats.isDirectory()) return { ...base, type: 'dir' };
    if (stats.nlink > 1n) {
      const inodeKey = `${stats.dev}:${stats.ino}`;
      const first = firstPathOfInode.get(inodeKey);
      if (first !== undefined) return { ...base, type: 'hardlink', linkTarget: first };
      firstPathOfInode.set(inodeKey, relPath);
    }
    if (stats.isFile()) {
      const sizeBytes = Number(stats.size);
      const source = new LazyFileByteSource(hostPathArgument(hostPath), sizeBytes, where);
      this.sources.add(source);
      return { ...base, type: 'file', sizeBytes, content: { kind: 'source', source, offsetBytes: 0, storedBytes: sizeBytes } };
    }
    if (stats.isSymbolicLink()) {
      let target: Buffer;
      try {
        target = await readlink(hostPath, { encoding: 'buffer' });
      } catch (error) {
        throw ioError('read symlink', hostPathText(hostPath), error);
      }
      return { ...base, type: 'symlink', linkTarget: target.toString('latin1') };
    }
    if (stats.isCharacterDevice() || stats.isBlockDevice()) {
      const { major, minor } = splitDeviceNumber(stats.rdev);
      return { ...base, type: stats.isCharacterDevice() ? 'char-device' : 'block-device', devMajor: major, devMinor: minor };
    }
    if (stats.isFIFO()) return { ...base, type: 'fifo' };
    if (stats.isSocket()) return { ...base, type: 'socket' };
    throw new AmikitError('INPUT_FORMAT', `${where}: unsupported file type`, { data: { path: displayPath(relPath) } });
  }
}

function timespecOf(ns: bigint): Timespec {
  // Floor division, so times before 1970 keep 0 ≤ nsec < 1e9.
  let sec = ns / NS_PER_SEC;
  let nsec = ns % NS_PER_SEC;
  if (nsec < 0n) {
    nsec += NS_PER_SEC;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

/** glibc's dev_t encoding (gnu_dev_major / gnu_dev_minor), which is what lstat reports on Linux. */
export function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** A host path for messages: UTF-8 where it decodes, escapes where it does not. */
function hostPathText(hostPath: Buffer): string {
  return displayPath(hostPath.toString('latin1'));
}

/**
 * LazyFileByteSource takes a string path; a path that is not valid UTF-8 would not survive that, so it is
 * handed the raw Buffer (fs.open accepts both) in that case.
 */
function hostPathArgument(hostPath: Buffer): string {
  const text = hostPath.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(hostPath)) return text;
  return hostPath as unknown as string;
}
