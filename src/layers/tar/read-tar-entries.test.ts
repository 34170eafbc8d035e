import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmikitError } from '../../shared/errors.js';
import { nameToBytes } from '../../tree/paths.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { readTarEntries } from './read-tar-entries.js';
import type { TarEntry } from './tar-entry.js';
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

  void nameToBytes;
});
