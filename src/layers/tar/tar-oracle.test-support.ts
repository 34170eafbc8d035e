// Test support for the tar codec: builds a host directory tree exercising every member type and
// attribute GNU tar can archive, and compares decoded entries against that tree (the oracle).
import { execFileSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, readlink, symlink, link, utimes, writeFile, open, truncate } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { expect } from 'vitest';
import { readRange, type ByteSource } from '../../tree/byte-source.js';
import { nameToBytes } from '../../tree/paths.js';
import type { TarEntry, TarEntryType } from './tar-entry.js';

export function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const isRoot = process.getuid?.() === 0;
export const hasGnuTar = (() => {
  try {
    return execFileSync('tar', ['--version'], { encoding: 'utf8' }).includes('GNU tar');
  } catch {
    return false;
  }
})();
export const hasAttrTools = hasTool('setfattr') && hasTool('getfattr') && hasTool('setfacl');

/** Whether the filesystem under `dir` keeps user xattrs (tmpfs without xattr support would not). */
export function supportsXattrs(dir: string): boolean {
  try {
    execFileSync('setfattr', ['-n', 'user.probe', '-v', '1', dir], { stdio: 'ignore' });
    execFileSync('setfattr', ['-x', 'user.probe', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const LONG_COMPONENT = 'l'.repeat(120);
export const NON_UTF8_NAME = Buffer.from([0x6e, 0xff, 0xfe, 0x2d, 0x78]); // "n\xff\xfe-x"

function bufPath(dir: string, relative: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(dir + '/'), typeof relative === 'string' ? Buffer.from(relative) : relative]);
}

/** Deterministic bytes. */
export function patternBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

export interface TreeOptions {
  devices: boolean; // mknod, chown: root only
  xattrs: boolean;
  acls: boolean;
  /** Names that ustar cannot hold (over 255 bytes, long link targets) and uid/times beyond octal. */
  unrepresentableInUstar: boolean;
}

/** Creates the sample tree in `dir` (which must exist and be empty). */
export async function makeSampleTree(dir: string, options: TreeOptions): Promise<void> {
  const ns = (sec: number, nsec: number) => `${sec}.${String(nsec).padStart(9, '0')}`;
  await mkdir(`${dir}/d`);
  await writeFile(`${dir}/d/file`, 'hello, tar\n');
  await chmod(`${dir}/d/file`, 0o640);
  await writeFile(`${dir}/setuid`, patternBytes(1000, 7));
  await chmod(`${dir}/setuid`, 0o4755);
  await writeFile(`${dir}/setgid`, patternBytes(513, 8));
  await chmod(`${dir}/setgid`, 0o2711);
  await mkdir(`${dir}/sticky`);
  await chmod(`${dir}/sticky`, 0o1777);
  await writeFile(`${dir}/empty`, '');
  await symlink('d/file', `${dir}/link`);
  await link(`${dir}/d/file`, `${dir}/hard`);
  execFileSync('mkfifo', [`${dir}/fifo`]);
  await writeFile(bufPath(dir, NON_UTF8_NAME), 'not utf-8 name\n');
  await writeFile(`${dir}/utf8-é`, 'utf-8 name\n');
  // Sparse: data, hole, data, trailing hole; and one ending in data.
  const sparse = await open(`${dir}/sparse`, 'w');
  await sparse.write(patternBytes(5000, 3), 0, 5000, 0);
  await sparse.write(patternBytes(4096, 4), 0, 4096, 1024 * 1024);
  await sparse.close();
  await truncate(`${dir}/sparse`, 4 * 1024 * 1024);
  const sparseEnd = await open(`${dir}/sparse-end`, 'w');
  await sparseEnd.write(patternBytes(100, 5), 0, 100, 3 * 1024 * 1024 - 100);
  await sparseEnd.close();
  if (options.devices) {
    execFileSync('mknod', [`${dir}/chr`, 'c', '1', '3']);
    execFileSync('mknod', [`${dir}/blk`, 'b', '259', '70000']);
    await chown(`${dir}/d/file`, 1000, 1001);
  }
  if (options.unrepresentableInUstar) {
    await mkdir(`${dir}/${LONG_COMPONENT}`);
    await mkdir(`${dir}/${LONG_COMPONENT}/${LONG_COMPONENT}`);
    await writeFile(`${dir}/${LONG_COMPONENT}/${LONG_COMPONENT}/${LONG_COMPONENT}`, 'deep\n');
    await symlink(`${LONG_COMPONENT}/${LONG_COMPONENT}/${LONG_COMPONENT}`, `${dir}/longlink`);
    await writeFile(`${dir}/future`, 'far future\n');
    await writeFile(`${dir}/past`, 'before 1970\n');
    if (options.devices) {
      await writeFile(`${dir}/bigid`, 'big ids\n');
      await chown(`${dir}/bigid`, 3_000_000, 4_000_000_000);
    }
  }
  if (options.xattrs) {
    execFileSync('setfattr', ['-n', 'user.text', '-v', 'value', `${dir}/d/file`]);
    execFileSync('setfattr', ['-n', 'user.binary', '-v', '0x00ff0110', `${dir}/d/file`]);
    execFileSync('setfattr', ['-n', 'user.dir', '-v', 'on a dir', `${dir}/d`]);
    if (options.devices) {
      execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200040000000000000000000000000000', `${dir}/setuid`]);
      execFileSync('setfattr', ['-n', 'trusted.t', '-v', 'trusted', `${dir}/setgid`]);
    }
  }
  if (options.acls) {
    execFileSync('setfacl', ['-m', 'u:1000:r-x,g:100:rw-,u:2000:---', `${dir}/d/file`]);
    execFileSync('setfacl', ['-d', '-m', 'u:1000:rwx,g::r-x', `${dir}/d`]);
    execFileSync('setfacl', ['-m', 'u:1000:rwx', `${dir}/d`]);
  }
  // Times last: writing into a directory changes its mtime.
  const setTime = async (relative: string, sec: number, nsec: number) => {
    execFileSync('touch', ['-h', '-d', `@${ns(sec, nsec)}`, `${dir}/${relative}`]);
  };
  await setTime('d/file', 1_600_000_000, 123_456_789);
  await setTime('setuid', 1_700_000_000, 1);
  await setTime('link', 1_500_000_000, 999_999_999);
  if (options.unrepresentableInUstar) {
    await setTime('future', 9_000_000_000, 500_000_000); // beyond 11 octal digits
    await setTime('past', -1_000_000, 0);
  }
  await setTime('d', 1_234_567_890, 0);
  void utimes;
}

/** Reads `/usr/bin/getfattr -d -m - -e hex` into a map (names as byte strings). */
export function hostXattrs(path: string): Map<string, Buffer> {
  const out = execFileSync('getfattr', ['--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', path], { encoding: 'latin1' });
  const xattrs = new Map<string, Buffer>();
  for (const line of out.split('\n')) {
    const match = /^([^#=][^=]*)=(?:0x([0-9a-f]*))?$/.exec(line);
    if (match) xattrs.set(match[1]!, Buffer.from(match[2] ?? '', 'hex'));
  }
  return xattrs;
}

export function typeOfStats(stats: BigIntStats): TarEntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char-device';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isFIFO()) return 'fifo';
  return 'socket';
}

export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** Reassembles a file's logical bytes from its stored data and sparse map. */
export async function logicalContent(source: ByteSource, entry: TarEntry): Promise<Buffer> {
  const stored = await readRange(source, entry.dataOffsetBytes, entry.storedBytes);
  if (!entry.segments) return stored;
  const out = Buffer.alloc(entry.sizeBytes);
  let at = 0;
  for (const segment of entry.segments) {
    stored.copy(out, segment.offsetBytes, at, at + segment.lengthBytes);
    at += segment.lengthBytes;
  }
  expect(at).toBe(entry.storedBytes);
  return out;
}

export interface CompareOptions {
  nsTimes: boolean;
  xattrs: boolean;
}

/** Strips tar's "./" and trailing "/" so entries can be found in the host tree. */
export function relativeOf(path: string): string {
  return path.replace(/^\.\//, '').replace(/\/$/, '');
}

/**
 * Checks every entry against the host file it came from: type, mode, owner, times, size, bytes, link
 * target, device numbers and (optionally) xattrs. Returns the relative paths seen.
 */
export async function expectEntriesMatchTree(
  entries: TarEntry[],
  source: ByteSource,
  dir: string,
  options: CompareOptions,
): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const entry of entries) {
    const relative = relativeOf(entry.path);
    seen.add(relative);
    const hostPath = relative === '' || relative === '.' ? Buffer.from(dir) : bufPath(dir, nameToBytes(relative));
    const stats = await lstat(hostPath, { bigint: true });
    const label = JSON.stringify(relative);
    if (entry.type === 'hardlink') {
      const targetStats = await lstat(bufPath(dir, nameToBytes(relativeOf(entry.linkTarget!))), { bigint: true });
      expect(targetStats.ino, label).toBe(stats.ino);
    } else {
      expect(entry.type, label).toBe(typeOfStats(stats));
    }
    expect(entry.mode, label).toBe(Number(stats.mode) & 0o7777);
    expect([entry.uid, entry.gid], label).toEqual([Number(stats.uid), Number(stats.gid)]);
    const sec = Number(stats.mtimeNs / 1_000_000_000n) - (stats.mtimeNs < 0n && stats.mtimeNs % 1_000_000_000n !== 0n ? 1 : 0);
    const nsec = Number(((stats.mtimeNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
    expect(entry.mtime, label).toEqual(options.nsTimes ? { sec, nsec } : { sec, nsec: 0 });
    if (entry.type === 'file') {
      expect(entry.sizeBytes, label).toBe(Number(stats.size));
      const content = await logicalContent(source, entry);
      expect(content.equals(await readFile(hostPath)), `content of ${label}`).toBe(true);
    } else {
      expect(entry.sizeBytes, label).toBe(0);
      expect(entry.storedBytes, label).toBe(0);
    }
    if (entry.type === 'symlink') expect(nameToBytes(entry.linkTarget!).equals(await readlink(hostPath, { encoding: 'buffer' })), label).toBe(true);
    if (entry.type === 'char-device' || entry.type === 'block-device') {
      const { major, minor } = deviceNumbers(stats.rdev);
      expect([entry.devMajor, entry.devMinor], label).toEqual([major, minor]);
    }
    // Hard links carry no attributes of their own: they share the inode of their target.
    if (options.xattrs && entry.type !== 'hardlink' && !nameToBytes(relative).equals(NON_UTF8_NAME)) {
      const expected = hostXattrs(hostPath.toString());
      expect(Object.fromEntries([...entry.xattrs].map(([k, v]) => [k, v.toString('hex')])), `xattrs of ${label}`).toEqual(
        Object.fromEntries([...expected].map(([k, v]) => [k, v.toString('hex')])),
      );
    }
  }
  return seen;
}
