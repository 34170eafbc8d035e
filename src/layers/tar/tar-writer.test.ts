import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ByteSource } from '../../tree/byte-source.js';
import { pathFromUtf8 } from '../../tree/paths.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { readTarEntries } from './read-tar-entries.js';
import type { TarEntry } from './tar-entry.js';
import { padSparseSegments, encodeEntryHeaders, TarWriter, type TarWriterEntry } from './tar-writer.js';
import { parsePaxRecords } from './pax.js';
import {
  deviceNumbers,
  hasAttrTools,
  hasGnuTar,
  hostXattrs,
  isRoot,
  makeSampleTree,
  NON_UTF8_NAME,
  relativeOf,
  supportsXattrs,
  typeOfStats,
} from './tar-oracle.test-support.js';

let work: string;
let tree: string;
let withAttrs = false;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'amikit-tar-write-'));
  tree = join(work, 'tree');
  await mkdir(tree);
  withAttrs = hasAttrTools && supportsXattrs(work);
  // Without attr/acl tools the xattr and ACL checks are left out; CI installs them, so there it is a failure.
  if (!withAttrs && process.env['CI']) throw new Error('xattr/ACL checks need setfattr/setfacl (apt-get install attr acl) and xattr support in the temp dir');
  await makeSampleTree(tree, { devices: isRoot, xattrs: withAttrs, acls: withAttrs, unrepresentableInUstar: true });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Collects the writer's output in memory. */
class MemorySink {
  chunks: Buffer[] = [];
  async write(chunk: Buffer): Promise<void> {
    this.chunks.push(chunk);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

async function* storedData(source: ByteSource, entry: TarEntry): AsyncGenerator<Buffer> {
  const buffer = Buffer.alloc(64 * 1024);
  for (let at = 0; at < entry.storedBytes; ) {
    const n = Math.min(buffer.length, entry.storedBytes - at);
    await source.readInto(buffer, 0, n, entry.dataOffsetBytes + at);
    yield buffer.subarray(0, n); // reused on purpose: the writer must copy
    at += n;
  }
}

/** Re-writes an archive made by GNU tar through readTarEntries + TarWriter (what `amikit flatten` does). */
async function rewrite(archive: string): Promise<Buffer> {
  const source = await FileByteSource.open(archive, 'in.tar');
  const sink = new MemorySink();
  const writer = new TarWriter(sink);
  for await (const entry of readTarEntries(source)) {
    const relative = relativeOf(entry.path);
    if (relative === '' || relative === '.') continue;
    await writer.addEntry(
      { ...entry, path: relative, linkTarget: entry.linkTarget === undefined ? undefined : entry.type === 'hardlink' ? relativeOf(entry.linkTarget) : entry.linkTarget },
      entry.type === 'file' ? storedData(source, entry) : undefined,
    );
  }
  await writer.finish();
  await source.close();
  expect(writer.bytesWritten).toBe(sink.bytes.length);
  return sink.bytes;
}

function gnuTarCreate(args: string[]): string {
  const out = join(work, `in${counter++}.tar`);
  execFileSync('tar', ['-c', '-f', out, '--sort=name', '--numeric-owner', ...args, '-C', tree, '.']);
  return out;
}

function gnuTarExtract(archive: Buffer): Promise<string> {
  return (async () => {
    const path = join(work, `out${counter++}.tar`);
    await writeFile(path, archive);
    const dir = join(work, `x${counter++}`);
    await mkdir(dir);
    execFileSync('tar', ['-x', '-f', path, '--xattrs', '--xattrs-include=*', '--numeric-owner', '-p', '-C', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return dir;
  })();
}

/** Compares two host trees entry by entry (names as raw bytes): everything GNU tar restores. */
async function expectTreesEqual(a: string | Buffer, b: string | Buffer, options: { xattrs: boolean; nsTimes: boolean }, at = ''): Promise<number> {
  const namesA = (await readdir(a, { encoding: 'buffer' })).map((name) => name.toString('latin1')).sort();
  const namesB = (await readdir(b, { encoding: 'buffer' })).map((name) => name.toString('latin1')).sort();
  expect(namesB, `names in ${at || '/'}`).toEqual(namesA);
  let count = 0;
  const inodes = new Map<bigint, bigint>();
  for (const name of namesA) {
    const pathA = Buffer.concat([Buffer.from(a), Buffer.from('/'), Buffer.from(name, 'latin1')]);
    const pathB = Buffer.concat([Buffer.from(b), Buffer.from('/'), Buffer.from(name, 'latin1')]);
    const label = `${at}/${name}`;
    const sa = await lstat(pathA, { bigint: true });
    const sb = await lstat(pathB, { bigint: true });
    count++;
    expect(typeOfStats(sb), label).toBe(typeOfStats(sa));
    expect(Number(sb.mode & 0o7777n), label).toBe(Number(sa.mode & 0o7777n));
    expect([sb.uid, sb.gid], label).toEqual([sa.uid, sa.gid]);
    expect(sb.nlink, label).toBe(sa.nlink);
    if (!sa.isSymbolicLink()) {
      expect(options.nsTimes ? sb.mtimeNs : sb.mtimeNs / 1_000_000_000n, `mtime of ${label}`).toBe(options.nsTimes ? sa.mtimeNs : sa.mtimeNs / 1_000_000_000n);
    }
    if (sa.isFile()) {
      expect(sb.size, label).toBe(sa.size);
      expect((await readFile(pathB)).equals(await readFile(pathA)), `content of ${label}`).toBe(true);
      // Holes survive: no more allocated blocks than the original (plus slack for filesystem granularity).
      expect(Number(sb.blocks), `blocks of ${label}`).toBeLessThanOrEqual(Number(sa.blocks) + 16);
      if (sa.nlink > 1n) {
        const previous = inodes.get(sa.ino);
        if (previous !== undefined) expect(sb.ino, `hard link ${label}`).toBe(previous);
        inodes.set(sa.ino, sb.ino);
      }
    }
    if (sa.isSymbolicLink()) expect((await readlink(pathB, { encoding: 'buffer' })).equals(await readlink(pathA, { encoding: 'buffer' })), label).toBe(true);
    if (sa.isCharacterDevice() || sa.isBlockDevice()) expect(deviceNumbers(sb.rdev), label).toEqual(deviceNumbers(sa.rdev));
    if (options.xattrs && !Buffer.from(name, 'latin1').equals(NON_UTF8_NAME) && !sa.isSymbolicLink()) {
      const hex = (map: Map<string, Buffer>) => Object.fromEntries([...map].map(([k, v]) => [k, v.toString('hex')]));
      expect(hex(hostXattrs(pathB.toString())), `xattrs of ${label}`).toEqual(hex(hostXattrs(pathA.toString())));
    }
    if (sa.isDirectory()) count += await expectTreesEqual(pathA, pathB, options, label);
  }
  return count;
}

describe.skipIf(!hasGnuTar)('TarWriter against GNU tar', () => {
  it('round-trips types, modes, owners, ns mtimes, xattrs, ACLs, long and non-UTF-8 names and sparse holes', async () => {
    const input = gnuTarCreate(['--format=pax', '--sparse', ...(withAttrs ? ['--xattrs', '--xattrs-include=*', '--acls'] : [])]);
    const ours = await rewrite(input);
    const extracted = await gnuTarExtract(ours);
    const count = await expectTreesEqual(tree, extracted, { xattrs: withAttrs, nsTimes: true });
    expect(count).toBeGreaterThan(20);
    // Deterministic: the same input gives the same bytes.
    expect((await rewrite(input)).equals(ours)).toBe(true);
    // GNU tar's own listing agrees and sees no errors.
    const listing = execFileSync('tar', ['-t', '-v', '--numeric-owner', '-f', '-'], { input: ours, encoding: 'latin1' });
    expect(listing).toContain('sparse');
  });

  it('negative: a flipped data byte is caught by the comparison, a flipped header byte by GNU tar', async () => {
    const ours = await rewrite(gnuTarCreate(['--format=pax']));
    const entries: TarEntry[] = [];
    await writeFile(join(work, 'neg.tar'), ours);
    const source = await FileByteSource.open(join(work, 'neg.tar'));
    for await (const entry of readTarEntries(source)) entries.push(entry);
    await source.close();
    const file = entries.find((entry) => entry.path === 'setuid')!;
    const dataFlip = Buffer.from(ours);
    dataFlip[file.dataOffsetBytes + 10]! ^= 0x20;
    const extracted = await gnuTarExtract(dataFlip);
    await expect(expectTreesEqual(tree, extracted, { xattrs: false, nsTimes: true })).rejects.toThrow(/content of \/setuid/);
    const headerFlip = Buffer.from(ours);
    headerFlip[file.headerOffsetBytes + 1]! ^= 0x01;
    expect(() => execFileSync('tar', ['-t', '-f', '-'], { input: headerFlip, stdio: ['pipe', 'ignore', 'pipe'] })).toThrow();
  });

  it('writes a 10 GiB sparse file with a few bytes of data that GNU tar restores with its holes', async () => {
    const sink = new MemorySink();
    const writer = new TarWriter(sink);
    const realSize = 10 * 1024 ** 3;
    const segments = [
      { offsetBytes: 4096, lengthBytes: 5 },
      { offsetBytes: 9 * 1024 ** 3, lengthBytes: 3 },
    ];
    await writer.addEntry({ path: 'huge', type: 'file', mode: 0o600, uid: 3_000_000, gid: 5, mtime: { sec: -86_400, nsec: 250 }, sizeBytes: realSize, segments }, (async function* () {
      yield Buffer.from('hello');
      yield Buffer.from('end');
    })());
    await writer.finish();
    const dir = await gnuTarExtract(sink.bytes);
    const stats = await lstat(join(dir, 'huge'), { bigint: true });
    expect(stats.size).toBe(BigInt(realSize));
    expect(Number(stats.blocks)).toBeLessThan(64);
    expect([stats.uid, stats.gid]).toEqual([3_000_000n, 5n]);
    expect(stats.mtimeNs).toBe(-86_400n * 1_000_000_000n + 250n);
    const handle = await (await import('node:fs/promises')).open(join(dir, 'huge'), 'r');
    const probe = Buffer.alloc(5);
    await handle.read(probe, 0, 5, 4096);
    expect(probe.toString()).toBe('hello');
    await handle.read(probe, 0, 3, 9 * 1024 ** 3);
    expect(probe.subarray(0, 3).toString()).toBe('end');
    await handle.close();
  });
});

describe('encodeEntryHeaders', () => {
  const base: TarWriterEntry = { path: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: { sec: 1, nsec: 0 }, sizeBytes: 3 };

  function recordsOf(entry: TarWriterEntry): Map<string, string> {
    const { headers } = encodeEntryHeaders(entry);
    if (headers.length === 512) return new Map();
    const size = parseInt(headers.toString('latin1', 124, 135), 8);
    return new Map(parsePaxRecords(headers.subarray(512, 512 + size), 't').map((record) => [record.key, record.value.toString('latin1')]));
  }

  it('uses a bare ustar header when everything fits', () => {
    expect(encodeEntryHeaders(base).headers.length).toBe(512);
  });

  it('adds PAX records for what ustar cannot hold', () => {
    expect(recordsOf({ ...base, sizeBytes: 8 * 1024 ** 3 })).toEqual(new Map([['size', String(8 * 1024 ** 3)]]));
    expect(recordsOf({ ...base, uid: 2097152, gid: 2097151 })).toEqual(new Map([['uid', '2097152']]));
    expect(recordsOf({ ...base, mtime: { sec: -1, nsec: 500_000_000 } })).toEqual(new Map([['mtime', '-0.500000000']]));
    expect(recordsOf({ ...base, path: pathFromUtf8('é') })).toEqual(new Map([['path', 'Ã©']]));
    expect(recordsOf({ ...base, path: '\xff' })).toEqual(new Map([['hdrcharset', 'BINARY'], ['path', '\xff']]));
    expect(recordsOf({ ...base, type: 'symlink', linkTarget: 'x'.repeat(101) }).get('linkpath')).toBe('x'.repeat(101));
    expect([...recordsOf({ ...base, xattrs: new Map([['user.b', Buffer.from('2')], ['security.a', Buffer.from([0, 1])]]) }).keys()]).toEqual([
      'SCHILY.xattr.security.a',
      'SCHILY.xattr.user.b',
    ]);
  });

  it('refuses sockets (tar has no type for them)', () => {
    expect(() => encodeEntryHeaders({ ...base, type: 'socket' })).toThrow(/socket/);
  });

  it('refuses data that does not match the declared size', async () => {
    const writer = new TarWriter(new MemorySink());
    await expect(writer.addEntry(base, (async function* () {
      yield Buffer.from('toolong');
    })())).rejects.toThrow(/supplied 7 data bytes, expected 3/);
  });
});

describe('padSparseSegments', () => {
  it('pads all but the last segment to whole blocks and merges segments that then touch', () => {
    expect(padSparseSegments([{ offsetBytes: 4096, lengthBytes: 5 }], 10_000)).toEqual([{ offsetBytes: 4096, lengthBytes: 5 }]);
    expect(
      padSparseSegments(
        [
          { offsetBytes: 10, lengthBytes: 10 },
          { offsetBytes: 600, lengthBytes: 0 },
          { offsetBytes: 700, lengthBytes: 10 },
          { offsetBytes: 2000, lengthBytes: 90 },
        ],
        2090,
      ),
    ).toEqual([
      { offsetBytes: 10, lengthBytes: 512 },
      { offsetBytes: 700, lengthBytes: 512 },
      { offsetBytes: 2000, lengthBytes: 90 },
    ]);
    expect(padSparseSegments([{ offsetBytes: 0, lengthBytes: 10 }, { offsetBytes: 100, lengthBytes: 10 }], 200)).toEqual([{ offsetBytes: 0, lengthBytes: 110 }]);
    const gnuMap = [{ offsetBytes: 0, lengthBytes: 8192 }, { offsetBytes: 1 << 20, lengthBytes: 4096 }];
    expect(padSparseSegments(gnuMap, 4 << 20)).toEqual(gnuMap);
  });

  it('keeps the logical content when the writer pads a map (read back by readTarEntries)', async () => {
    const sink = new MemorySink();
    const writer = new TarWriter(sink);
    const segments = [
      { offsetBytes: 3, lengthBytes: 4 },
      { offsetBytes: 515, lengthBytes: 2 },
      { offsetBytes: 5000, lengthBytes: 1 },
    ];
    await writer.addEntry({ path: 's', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: { sec: 0, nsec: 0 }, sizeBytes: 6000, segments }, (async function* () {
      yield Buffer.from('abcd');
      yield Buffer.from('efg');
    })());
    await writer.finish();
    const path = join(work, `widened${counter++}.tar`);
    await writeFile(path, sink.bytes);
    const source = await FileByteSource.open(path);
    const entries: TarEntry[] = [];
    for await (const entry of readTarEntries(source)) entries.push(entry);
    const expected = Buffer.alloc(6000);
    expected.write('abcd', 3);
    expected.write('ef', 515);
    expected.write('g', 5000);
    const { logicalContent } = await import('./tar-oracle.test-support.js');
    expect((await logicalContent(source, entries[0]!)).equals(expected)).toBe(true);
    expect(entries[0]!.segments).toEqual([
      { offsetBytes: 3, lengthBytes: 1024 },
      { offsetBytes: 5000, lengthBytes: 1 },
    ]);
    await source.close();
  });
});
