// Large-scale oracle: every member of the real Debian root filesystem tar, as GNU tar lists it (type,
// mode, owner, size or device numbers, ns mtime, name, link target), equals what readTarEntries decodes.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../../../test/support/debian-rootfs.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { readTarEntries } from './read-tar-entries.js';
import type { TarEntry } from './tar-entry.js';
import { hasGnuTar } from './tar-oracle.test-support.js';

const TYPE_CHAR: Record<TarEntry['type'], string> = {
  file: '-',
  hardlink: 'h',
  symlink: 'l',
  'char-device': 'c',
  'block-device': 'b',
  dir: 'd',
  fifo: 'p',
  socket: 's',
};

/** `ls -l` style permissions, as GNU tar prints them. */
function modeString(mode: number): string {
  const bit = (mask: number, c: string) => ((mode & mask) !== 0 ? c : '-');
  const special = (exec: boolean, set: boolean, on: string, off: string) => (set ? (exec ? on : off) : exec ? 'x' : '-');
  return (
    bit(0o400, 'r') + bit(0o200, 'w') + special((mode & 0o100) !== 0, (mode & 0o4000) !== 0, 's', 'S') +
    bit(0o040, 'r') + bit(0o020, 'w') + special((mode & 0o010) !== 0, (mode & 0o2000) !== 0, 's', 'S') +
    bit(0o004, 'r') + bit(0o002, 'w') + special((mode & 0o001) !== 0, (mode & 0o1000) !== 0, 't', 'T')
  );
}

/** GNU tar's --quoting-style=escape for a byte-string name. */
function escapeLikeTar(name: string): string {
  let out = '';
  for (const c of name) {
    const byte = c.charCodeAt(0);
    if (c === '\\') out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += '\\' + byte.toString(8).padStart(3, '0');
  }
  return out;
}

function formatTime(sec: number, nsec: number): string {
  const date = new Date(sec * 1000).toISOString(); // 2023-05-01T12:34:56.000Z
  return `${date.slice(0, 10)} ${date.slice(11, 19)}${nsec === 0 ? '' : '.' + String(nsec).padStart(9, '0').replace(/0+$/, '')}`;
}

function listingLine(entry: TarEntry): string {
  const size = entry.type === 'char-device' || entry.type === 'block-device' ? `${entry.devMajor},${entry.devMinor}` : String(entry.sizeBytes);
  const owner = `${entry.uid}/${entry.gid}`;
  // GNU tar pads "owner size" to a common width; compare with single spaces instead.
  let line = `${TYPE_CHAR[entry.type]}${modeString(entry.mode)} ${owner} ${size} ${formatTime(entry.mtime.sec, entry.mtime.nsec)} ${escapeLikeTar(entry.path)}`;
  if (entry.type === 'symlink') line += ` -> ${escapeLikeTar(entry.linkTarget!)}`;
  if (entry.type === 'hardlink') line += ` link to ${escapeLikeTar(entry.linkTarget!)}`;
  return line;
}

describe.skipIf(!hasGnuTar)('readTarEntries on the Debian root filesystem', () => {
  it('decodes every member exactly as GNU tar lists it', async (ctx) => {
    const path = await debianRootfsTar();
    if (!path) return ctx.skip(debianRootfsSkipReason());
    const listing = execFileSync('tar', ['-t', '-v', '--numeric-owner', '--full-time', '--quoting-style=escape', '-f', path], {
      encoding: 'latin1',
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
      maxBuffer: 1 << 28,
    })
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/ +/g, ' '));
    const source = await FileByteSource.open(path);
    const ours: string[] = [];
    let withXattrs = 0;
    for await (const entry of readTarEntries(source)) {
      ours.push(listingLine(entry).replace(/ +/g, ' '));
      if (entry.xattrs.size > 0) withXattrs++;
    }
    await source.close();
    expect(ours.length).toBe(listing.length);
    const mismatches = ours.map((line, i) => [line, listing[i]]).filter(([a, b]) => a !== b);
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(ours.length).toBeGreaterThan(1000);
    expect(withXattrs).toBeGreaterThan(0);
  });

  it('negative: a listing with one changed mode is detected', () => {
    const entry: TarEntry = {
      path: './x', type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime: { sec: 0, nsec: 5 }, sizeBytes: 1, devMajor: 0, devMinor: 0,
      xattrs: new Map(), dataOffsetBytes: 0, storedBytes: 1, headerOffsetBytes: 0,
    };
    expect(listingLine(entry)).toBe('-rwsr-xr-x 0/0 1 1970-01-01 00:00:00.000000005 ./x');
    expect(listingLine({ ...entry, mode: 0o755 })).not.toBe('-rwsr-xr-x 0/0 1 1970-01-01 00:00:00.000000005 ./x');
  });
});
