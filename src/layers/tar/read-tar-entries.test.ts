import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmikitError } from '../../shared/errors.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { readTarEntries } from './read-tar-entries.js';
import type { TarEntry } from './tar-entry.js';
import { encodePaxRecord } from './pax.js';
import { encodeTarHeader, type UstarHeaderFields } from './tar-header.js';
import {
  expectEntriesMatchTree,
  hasAttrTools,
  hasGnuTar,
  isRoot,
  LONG_COMPONENT,
  makeSampleTree,
  NON_UTF8_NAME,
  relativeOf,
  supportsXattrs,
} from './tar-oracle.test-support.js';

let work: string;
let tree: string;
let withAttrs = false;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'amikit-tar-read-'));
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

async function readAll(path: string, warnings: string[] = []): Promise<{ entries: TarEntry[]; source: FileByteSource }> {
  const source = await FileByteSource.open(path, 'layer.tar');
  const entries: TarEntry[] = [];
  try {
    for await (const entry of readTarEntries(source, { onWarning: (message) => warnings.push(message) })) entries.push(entry);
  } catch (error) {
    await source.close();
    throw error;
  }
  return { entries, source };
}

let archiveCounter = 0;
function gnuTar(args: string[], cwdMembers: string[] = ['.']): string {
  const out = join(work, `a${archiveCounter++}.tar`);
  execFileSync('tar', ['-c', '-f', out, '--sort=name', '--numeric-owner', ...args, '-C', tree, ...cwdMembers], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}

const byPath = (entries: TarEntry[]) => new Map(entries.map((entry) => [relativeOf(entry.path), entry]));

describe.skipIf(!hasGnuTar)('readTarEntries against GNU tar', () => {
  const xattrArgs = () => (withAttrs ? ['--xattrs', "--xattrs-include=*", '--acls'] : []);

  it('decodes a pax archive with xattrs, ACLs, ns times, long and non-UTF-8 names, devices and 1.0 sparse files', async () => {
    const { entries, source } = await readAll(gnuTar(['--format=pax', '--sparse', ...xattrArgs()]));
    const seen = await expectEntriesMatchTree(entries, source, tree, { nsTimes: true, xattrs: withAttrs });
    const map = byPath(entries);
    expect(map.get('hard')!.type).toBe('hardlink');
    expect(map.get('hard')!.linkTarget).toBe('./d/file');
    // GNU tar maps holes at block granularity; the bytes themselves were compared above.
    expect(map.get('sparse')!.segments).toHaveLength(2);
    expect(map.get('sparse')!.segments![1]!.offsetBytes).toBe(1024 * 1024);
    expect(map.get('sparse')!.storedBytes).toBeLessThan(64 * 1024);
    expect(map.get('sparse-end')!.segments).toHaveLength(1);
    expect(seen.has(`${LONG_COMPONENT}/${LONG_COMPONENT}/${LONG_COMPONENT}`)).toBe(true);
    expect(seen.has(NON_UTF8_NAME.toString('latin1'))).toBe(true);
    expect(seen.has(Buffer.from('utf8-é').toString('latin1'))).toBe(true);
    expect(map.get('past')!.mtime).toEqual({ sec: -1_000_000, nsec: 0 });
    expect(map.get('future')!.mtime).toEqual({ sec: 9_000_000_000, nsec: 500_000_000 });
    if (isRoot) {
      expect([map.get('bigid')!.uid, map.get('bigid')!.gid]).toEqual([3_000_000, 4_000_000_000]);
      expect([map.get('blk')!.devMajor, map.get('blk')!.devMinor]).toEqual([259, 70000]);
    }
    if (withAttrs) {
      // user:1000:r-x, user:2000:---, group:100:rw- plus the owner/group/mask/other entries, sorted by tag then id.
      const acl = map.get('d/file')!.xattrs.get('system.posix_acl_access')!;
      expect(acl.readUInt32LE(0)).toBe(2);
      expect((acl.length - 4) / 8).toBe(7);
      expect(map.get('d')!.xattrs.has('system.posix_acl_default')).toBe(true);
    }
    await source.close();
  });

  for (const version of ['0.0', '0.1']) {
    it(`decodes PAX sparse ${version} members`, async () => {
      const { entries, source } = await readAll(gnuTar(['--format=pax', '--sparse', `--sparse-version=${version}`]));
      await expectEntriesMatchTree(entries, source, tree, { nsTimes: true, xattrs: false });
      // 0.x maps are block-granular: the first segment is rounded up to 8192.
      expect(byPath(entries).get('sparse')!.segments).toHaveLength(2);
      await source.close();
    });
  }

  it("decodes a GNU archive: 'L'/'K' long names, base-256 numbers, old sparse 'S' members", async () => {
    const { entries, source } = await readAll(gnuTar(['--format=gnu', '--sparse']));
    await expectEntriesMatchTree(entries, source, tree, { nsTimes: false, xattrs: false });
    const map = byPath(entries);
    expect(map.get('sparse')!.segments).toBeDefined();
    expect(map.get('longlink')!.linkTarget).toBe(`${LONG_COMPONENT}/${LONG_COMPONENT}/${LONG_COMPONENT}`);
    expect(map.get('future')!.mtime.sec).toBe(9_000_000_000);
    await source.close();
  });

  it('decodes an old GNU sparse member whose map needs extension headers', async () => {
    const path = join(work, 'many-holes');
    const handle = await (await import('node:fs/promises')).open(path, 'w');
    for (let i = 0; i < 30; i++) await handle.write(Buffer.from(`chunk ${i}`), 0, 7, i * 65536);
    await handle.close();
    const out = join(work, 'many-holes.tar');
    execFileSync('tar', ['-c', '-f', out, '--format=gnu', '--sparse', '-C', work, 'many-holes']);
    const { entries, source } = await readAll(out);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.segments!.length).toBeGreaterThan(25);
    const { logicalContent } = await import('./tar-oracle.test-support.js');
    expect((await logicalContent(source, entries[0]!)).equals(await readFile(path))).toBe(true);
    await source.close();
  });

  it('decodes a ustar archive (prefix/name split)', async () => {
    const members = ['./d', './setuid', './link', './fifo', './hard', './sparse', './empty', ...(isRoot ? ['./chr'] : [])];
    const { entries, source } = await readAll(gnuTar(['--format=ustar'], members));
    expect(entries.length).toBeGreaterThanOrEqual(members.length);
    await expectEntriesMatchTree(entries, source, tree, { nsTimes: false, xattrs: false });
    await source.close();
    // A 200-byte path fits ustar only through the prefix field.
    const deep = join(work, 'deep');
    const name = `${'p'.repeat(90)}/${'q'.repeat(90)}/file`;
    await mkdir(join(deep, 'p'.repeat(90), 'q'.repeat(90)), { recursive: true });
    await writeFile(join(deep, name), 'x');
    const out = join(work, 'deep.tar');
    execFileSync('tar', ['-c', '-f', out, '--format=ustar', '-C', deep, name]);
    const read = await readAll(out);
    expect(read.entries.map((entry) => entry.path)).toEqual([name]);
    await read.source.close();
  });

  it('negative: one flipped header byte is a bad checksum; one flipped data byte is a content mismatch', async () => {
    const path = gnuTar(['--format=pax'], ['./d']);
    const bytes = await readFile(path);
    const headerFlip = Buffer.from(bytes);
    headerFlip[10]! ^= 0x01;
    await writeFile(path, headerFlip);
    await expect(readAll(path)).rejects.toThrow(/^layer\.tar: offset 0: bad header checksum/);

    const clean = await readAll(gnuTar(['--format=pax'], ['./d']));
    const entries = clean.entries;
    await clean.source.close();
    const file = entries.find((entry) => entry.path === './d/file')!;
    const dataFlip = Buffer.from(bytes);
    dataFlip[file.dataOffsetBytes + 3]! ^= 0x01;
    await writeFile(path, dataFlip);
    const read = await readAll(path);
    await expect(expectEntriesMatchTree(read.entries, read.source, tree, { nsTimes: true, xattrs: false })).rejects.toThrow(/content of/);
    await read.source.close();
  });

  it('reports data after the end marker as ignored and a missing end marker as a warning', async () => {
    const path = gnuTar(['--format=pax'], ['./empty']);
    const bytes = await readFile(path);
    const warnings: string[] = [];
    // 'empty' is an 'x' header, its data and the member header: 1536 bytes, then zero blocks.
    const end = 1536;
    await writeFile(path, bytes.subarray(0, end));
    const read = await readAll(path, warnings);
    expect(read.entries).toHaveLength(1);
    expect(warnings).toEqual(['layer.tar: offset 1536: archive ends without an end-of-archive marker']);
    await read.source.close();
    await writeFile(path, Buffer.concat([bytes.subarray(0, end), Buffer.alloc(512)]));
    warnings.length = 0;
    await (await readAll(path, warnings)).source.close();
    expect(warnings).toEqual(['layer.tar: offset 1536: archive ends with a single zero block']);
    await writeFile(path, Buffer.concat([bytes.subarray(0, end), Buffer.alloc(1024), Buffer.from('garbage after the end')]));
    warnings.length = 0;
    const after = await readAll(path, warnings);
    expect(after.entries).toHaveLength(1);
    await after.source.close();
    expect(warnings).toEqual([]);
  });
});

describe('readTarEntries errors', () => {
  it('names the source and offset in a one-line message', async () => {
    const path = join(work, 'short.tar');
    await writeFile(path, Buffer.alloc(300, 0x41));
    try {
      await readAll(path);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AmikitError);
      expect((error as AmikitError).code).toBe('INPUT_FORMAT');
      expect((error as AmikitError).message).toBe('layer.tar: offset 0: truncated header (300 of 512 bytes)');
    }
  });

});

/** A ByteSource over memory, for hand-made archives. */
function memory(bytes: Buffer, name = 'mem.tar') {
  return {
    name,
    sizeBytes: bytes.length,
    async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number) {
      if (offsetBytes + lengthBytes > bytes.length) throw new Error('read past end');
      bytes.copy(target, targetOffset, offsetBytes, offsetBytes + lengthBytes);
    },
    async close() {},
  };
}

function member(fields: Omit<Partial<UstarHeaderFields>, 'name'> & { name: string | Buffer }, data = Buffer.alloc(0), patch?: (block: Buffer) => void): Buffer {
  const block = encodeTarHeader({
    mode: 0o644,
    uid: 0,
    gid: 0,
    sizeBytes: data.length,
    mtimeSec: 0,
    typeflag: '0',
    ...fields,
    name: typeof fields.name === 'string' ? Buffer.from(fields.name, 'latin1') : fields.name,
  });
  if (patch) {
    patch(block);
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  }
  return Buffer.concat([block, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

type Value = string | Buffer;
function paxMember(typeflag: 'x' | 'g', records: ReadonlyArray<readonly [string, Value]>): Buffer {
  return member({ name: 'PaxHeaders/x', typeflag }, Buffer.concat(records.map(([key, value]) => encodePaxRecord(key, value))));
}

async function collect(bytes: Buffer, warnings: string[] = []): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for await (const entry of readTarEntries(memory(bytes), { onWarning: (message) => warnings.push(message) })) entries.push(entry);
  return entries;
}

const END = Buffer.alloc(1024);

describe('readTarEntries on hand-made archives', () => {
  it('reads nothing past the member where its caller stops (archive classification relies on it)', async () => {
    const corrupt = member({ name: 'b' }, Buffer.alloc(0), (block) => block.fill(0x41, 0, 100));
    corrupt[0]! ^= 0x01; // after the checksum was fixed: a bad checksum
    const warnings: string[] = [];
    const seen: string[] = [];
    for await (const entry of readTarEntries(memory(Buffer.concat([member({ name: 'a' }), corrupt, member({ name: 'c' })])), { onWarning: (w) => warnings.push(w) })) {
      seen.push(entry.path);
      break;
    }
    expect(seen).toEqual(['a']);
    expect(warnings).toEqual([]);
    // The same archive read to the end does fail at the second member.
    await expect(collect(Buffer.concat([member({ name: 'a' }), corrupt, member({ name: 'c' })]))).rejects.toThrow(/offset 512: bad header checksum/);
  });

  it('applies global headers to later members, lets members override them and empty values delete them', async () => {
    const entries = await collect(
      Buffer.concat([
        paxMember('g', [['uid', '77'], ['SCHILY.xattr.user.g', 'global']]),
        member({ name: 'a' }),
        paxMember('x', [['uid', '5'], ['SCHILY.xattr.user.g', '']]),
        member({ name: 'b' }),
        END,
      ]),
    );
    expect(entries.map((entry) => [entry.path, entry.uid, entry.xattrs.get('user.g')?.toString()])).toEqual([
      ['a', 77, 'global'],
      ['b', 5, undefined],
    ]);
    expect(entries[1]!.headerOffsetBytes).toBe(1536); // its 'x' header
  });

  it('decodes LIBARCHIVE.xattr names (URL-encoded) and values (base64), SCHILY.devmajor/devminor and hdrcharset=BINARY', async () => {
    const entries = await collect(
      Buffer.concat([
        paxMember('x', [
          ['hdrcharset', 'BINARY'],
          ['path', Buffer.from([0x64, 0xff, 0x80])],
          ['LIBARCHIVE.xattr.user.with%3Dequals%20space', Buffer.from([0, 1, 2, 255]).toString('base64')],
          ['SCHILY.devmajor', '4095'],
          ['SCHILY.devminor', '1048575'],
        ]),
        member({ name: 'dev', typeflag: '3' }),
        END,
      ]),
    );
    expect(entries[0]!.path).toBe('d\xff\x80');
    expect(entries[0]!.type).toBe('char-device');
    expect([entries[0]!.devMajor, entries[0]!.devMinor]).toEqual([4095, 1048575]);
    expect(entries[0]!.xattrs.get('user.with=equals space')).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it("uses GNU 'L' and 'K' for long names and link targets; PAX wins over them", async () => {
    const long = 'x'.repeat(300);
    const entries = await collect(
      Buffer.concat([
        member({ name: '././@LongLink', typeflag: 'L' }, Buffer.from(long + '\0')),
        member({ name: '././@LongLink', typeflag: 'K' }, Buffer.from('t'.repeat(200) + '\0')),
        member({ name: 'short', typeflag: '2', linkname: Buffer.from('short-target') }),
        paxMember('x', [['path', 'from-pax']]),
        member({ name: '././@LongLink', typeflag: 'L' }, Buffer.from('from-gnu\0')),
        member({ name: 'header-name' }),
        END,
      ]),
    );
    expect(entries.map((entry) => [entry.path, entry.type, entry.linkTarget])).toEqual([
      [long, 'symlink', 't'.repeat(200)],
      ['from-pax', 'file', undefined],
    ]);
  });

  it('reads old-style directories (trailing slash), skips volume labels with a warning and ignores data of header-only types', async () => {
    const warnings: string[] = [];
    const entries = await collect(
      Buffer.concat([
        member({ name: 'VOLUME', typeflag: 'V' }),
        member({ name: 'olddir/', typeflag: '\0' }),
        // A hard link whose size field is non-zero: no data follows (as Go's archive/tar and GNU tar read it).
        member({ name: 'h', typeflag: '1', linkname: Buffer.from('olddir/f'), sizeBytes: 512 }),
        member({ name: 'after' }, Buffer.from('data')),
        END,
      ]),
      warnings,
    );
    expect(entries.map((entry) => [entry.path, entry.type, entry.storedBytes])).toEqual([
      ['olddir/', 'dir', 0],
      ['h', 'hardlink', 0],
      ['after', 'file', 4],
    ]);
    expect(warnings).toEqual([
      "mem.tar: offset 0: volume label 'VOLUME' skipped",
      'mem.tar: offset 1024: size field of hardlink h ignored (no data is stored for this type)',
    ]);
  });

  it('reads base-256 uid/gid/mtime, PAX negative fractional times and keeps setuid/setgid/sticky bits', async () => {
    const entries = await collect(
      Buffer.concat([
        member({ name: 'a', mode: 0o7755 }, Buffer.alloc(0), (block) => {
          block.fill(0, 108, 124);
          block[108] = 0x80;
          block.writeUInt32BE(3_000_000, 112);
          block[116] = 0x80;
          block.writeUInt32BE(4_000_000_000, 120);
          block.fill(0xff, 136, 148);
          block.writeInt32BE(-86_400, 144);
        }),
        paxMember('x', [['mtime', '-1.25'], ['atime', '3.5'], ['ctime', '4']]),
        member({ name: 'b' }),
        END,
      ]),
    );
    expect(entries[0]).toMatchObject({ mode: 0o7755, uid: 3_000_000, gid: 4_000_000_000, mtime: { sec: -86_400, nsec: 0 } });
    expect(entries[1]).toMatchObject({ mtime: { sec: -2, nsec: 750_000_000 }, atime: { sec: 3, nsec: 500_000_000 }, ctime: { sec: 4, nsec: 0 } });
  });

  it('decodes a PAX 0.0 sparse map (repeated offset/numbytes records) and checks numblocks', async () => {
    const entries = await collect(
      Buffer.concat([
        paxMember('x', [
          ['GNU.sparse.size', '10000'],
          ['GNU.sparse.numblocks', '2'],
          ['GNU.sparse.offset', '0'],
          ['GNU.sparse.numbytes', '3'],
          ['GNU.sparse.offset', '9000'],
          ['GNU.sparse.numbytes', '2'],
        ]),
        member({ name: 's' }, Buffer.from('abcde')),
        END,
      ]),
    );
    expect(entries[0]).toMatchObject({ sizeBytes: 10000, storedBytes: 5, segments: [{ offsetBytes: 0, lengthBytes: 3 }, { offsetBytes: 9000, lengthBytes: 2 }] });
    await expect(
      collect(Buffer.concat([paxMember('x', [['GNU.sparse.size', '10'], ['GNU.sparse.numblocks', '2'], ['GNU.sparse.map', '0,1']]), member({ name: 's' }, Buffer.from('a')), END])),
    ).rejects.toThrow(/^mem\.tar: offset 0: GNU\.sparse\.numblocks says 2 segments but the map has 1$/);
    await expect(
      collect(Buffer.concat([paxMember('x', [['GNU.sparse.size', '10'], ['GNU.sparse.map', '0,1']]), member({ name: 's' }, Buffer.from('ab')), END])),
    ).rejects.toThrow(/describes 1 bytes but 2 are stored/);
  });

  it('asks its source to read ahead of the scan: forward, without overlap, inside the archive, before each read', async () => {
    // 40 members of 1 MiB: the scan jumps over each one's data, as it does over a rootfs's larger files.
    const bytes = Buffer.concat([...Array.from({ length: 40 }, (_, i) => member({ name: `f${i}` }, Buffer.alloc(1024 * 1024, i))), END]);
    const advised: [number, number][] = [];
    const reads: [number, number][] = [];
    const source = {
      ...memory(bytes),
      readIntoSync(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number) {
        reads.push([offsetBytes, lengthBytes]);
        bytes.copy(target, targetOffset, offsetBytes, offsetBytes + lengthBytes);
      },
      adviseWillNeed(offsetBytes: number, lengthBytes: number) {
        advised.push([offsetBytes, lengthBytes]);
      },
    };
    let count = 0;
    for await (const entry of readTarEntries(source)) count += entry.type === 'file' ? 1 : 0;
    expect(count).toBe(40);
    expect(advised.length).toBeGreaterThan(1);
    let end = 0;
    for (const [offsetBytes, lengthBytes] of advised) {
      expect(offsetBytes).toBeGreaterThanOrEqual(end);
      expect(lengthBytes).toBeGreaterThan(0);
      end = offsetBytes + lengthBytes;
    }
    expect(end).toBe(bytes.length);
    // Every read lies in a range already advised.
    const advisedEnds = (at: number) => advised.some(([o, l]) => o <= at && at < o + l);
    for (const [offsetBytes] of reads) expect(advisedEnds(offsetBytes)).toBe(true);
  });

  it('stops at a lone zero block followed by data, with a warning', async () => {
    const warnings: string[] = [];
    const entries = await collect(Buffer.concat([member({ name: 'a' }), Buffer.alloc(512), member({ name: 'hidden' }), END]), warnings);
    expect(entries.map((entry) => entry.path)).toEqual(['a']);
    expect(warnings).toEqual(['mem.tar: offset 512: lone zero block; the rest of the archive is ignored']);
  });

  it('refuses a member whose sparse 1.0 map is cut short or malformed', async () => {
    const sparse10 = (data: string) =>
      Buffer.concat([
        paxMember('x', [['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0'], ['GNU.sparse.name', 's'], ['GNU.sparse.realsize', '100']]),
        member({ name: 'GNUSparseFile.0/s' }, Buffer.from(data)),
        END,
      ]);
    await expect(collect(sparse10('2\n0\n'))).rejects.toThrow(/^mem\.tar: offset 0: truncated GNU sparse 1\.0 map$/);
    await expect(collect(sparse10('1\n0\nx\n'))).rejects.toThrow(/malformed GNU sparse 1\.0 map at byte 4/);
    const ok = await collect(sparse10('1\n10\n3\n'.padEnd(512, '\0') + 'abc'));
    expect(ok[0]).toMatchObject({ path: 's', sizeBytes: 100, storedBytes: 3, dataOffsetBytes: 2048, segments: [{ offsetBytes: 10, lengthBytes: 3 }] });
  });
});
