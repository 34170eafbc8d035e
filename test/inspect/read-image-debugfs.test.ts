// The ext4 reader against an independent writer: the real Debian rootfs put into images by `mke2fs -t ext4
// -d` (4 KiB and 1 KiB blocks, with and without metadata_csum, one 32-bit). `export` equals the input tree
// entry by entry (GNU tar extracts it; both trees read from the host), and on a seeded sample of 500 paths
// ls -l, cat and stat agree with debugfs; a flatten of the export is the export, and --layer takes the image.
import { createHash } from 'node:crypto';
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInImage, statInImage } from '../../src/pipeline/browse-image.js';
import { openImage, type OpenedImage } from '../../src/pipeline/open-image.js';
import type { FileTree } from '../../src/tree/file-tree.js';
import { readLogicalContent } from '../../src/tree/read-content.js';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { runCli } from '../support/run-cli.js';
import { compareTrees, debugfsBatch, decodeExt4Time, extractTarWithGnuTar, readHostTree } from '../support/tree-facts.js';
import { rootSkipReason, runOk, tempDir, toolSkipReason, type TempDir } from '../support/tools.js';

const skip = toolSkipReason('mke2fs', 'debugfs', 'tar') ?? rootSkipReason('extracting the Debian rootfs with its owners');
const SAMPLE = 500;

const CONFIGS = [
  { name: '4k-csum', args: ['-b', '4096', '-O', 'metadata_csum,64bit'] },
  { name: '1k-csum', args: ['-b', '1024', '-O', 'metadata_csum,64bit'] },
  { name: '4k-nocsum', args: ['-b', '4096', '-O', '^metadata_csum,64bit'] },
  { name: '1k-32bit-nocsum', args: ['-b', '1024', '-O', '^metadata_csum,^64bit'] },
] as const;

/** A small seeded generator (mulberry32): the sample is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(skip)(`ext4 reader against mke2fs -d images of the Debian rootfs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let work: TempDir;
  let rootDir: string;
  let hostTree: Awaited<ReturnType<typeof readHostTree>>;

  beforeAll(async () => {
    const tar = await debianRootfsTar();
    if (!tar) return;
    work = await tempDir('read-image-debugfs');
    rootDir = join(work.path, 'rootfs');
    await mkdir(rootDir);
    await runOk('tar', ['-xpf', tar, '--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '-C', rootDir]);
    hostTree = await readHostTree(rootDir);
  }, 600_000);
  afterAll(async () => work?.cleanup());

  for (const config of CONFIGS) {
    it(`${config.name}: export equals the input; ls -l, cat and stat agree with debugfs on ${SAMPLE} paths`, async (ctx) => {
      if (!rootDir) return ctx.skip(debianRootfsSkipReason());
      const image = join(work.path, `${config.name}.img`);
      await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', ...config.args, '-U', '7e57da7a-0000-4000-8000-000000000009', '-d', rootDir, image, '2G']);

      // export → GNU tar → host tree: entry by entry the input (lost+found is mke2fs's own; mke2fs sets
      // the root's mtime itself and keeps no nanoseconds, so times are compared to the second).
      const exported = join(work.path, `${config.name}.tar`);
      const done = await runCli(['export', image, '-o', exported, '--json']);
      expect(done.exitCode, done.stderr).toBe(0);
      const report = JSON.parse(done.stdout) as { checksums: { enabled: boolean; inodes: { checked: number; bad: number }; directoryBlocks: { checked: number; bad: number }; groupDescriptors: { bad: number }; extentBlocks: { bad: number }; xattrBlocks: { bad: number } } };
      const csum = config.name.includes('-csum');
      expect(report.checksums.enabled).toBe(csum);
      if (csum) {
        expect(report.checksums.inodes.checked).toBeGreaterThan(10_000);
        expect(report.checksums.directoryBlocks.checked).toBeGreaterThan(100);
        const bad = report.checksums.inodes.bad + report.checksums.directoryBlocks.bad + report.checksums.groupDescriptors.bad + report.checksums.extentBlocks.bad + report.checksums.xattrBlocks.bad;
        expect(bad).toBe(0);
      }
      const out = join(work.path, `${config.name}-out`);
      await mkdir(out);
      await extractTarWithGnuTar(exported, out);
      const back = await readHostTree(out);
      const problems = compareTrees(hostTree, back, { ignore: (p) => p === '/lost+found', ignoreFields: ['mtimeNs'] });
      expect(problems.slice(0, 20)).toEqual([]);
      const secondsOff: string[] = [];
      for (const [path, facts] of hostTree) {
        if (path !== '/' && facts.mtimeNs / 1_000_000_000n !== back.get(path)!.mtimeNs / 1_000_000_000n) secondsOff.push(path);
      }
      expect(secondsOff.slice(0, 20)).toEqual([]);

      // A flatten of the export is the export, byte for byte.
      const again = join(work.path, `${config.name}-again.tar`);
      expect((await runCli(['flatten', '--layer', exported, '-o', again])).exitCode).toBe(0);
      expect(createHash('sha256').update(await readFile(again)).digest('hex')).toBe(createHash('sha256').update(await readFile(exported)).digest('hex'));

      const opened: OpenedImage = await openImage(image);
      try {
        const tree = await opened.readTree();
        await agreeWithDebugfs(image, opened, tree, 0x5eed + config.name.length);
      } finally {
        await opened.close();
      }
      await runOk('rm', ['-rf', out, exported, again, image]);
    }, 900_000);
  }

  it('--layer takes an image: flatten of the image equals export of it, and the CLI verbs answer', async (ctx) => {
    if (!rootDir) return ctx.skip(debianRootfsSkipReason());
    const image = join(work.path, 'layer.img');
    await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', rootDir, image, '2G']);
    const exported = join(work.path, 'layer-export.tar');
    const flattened = join(work.path, 'layer-flatten.tar');
    expect((await runCli(['export', image, '-o', exported])).exitCode).toBe(0);
    const flat = await runCli(['flatten', '--layer', image, '-o', flattened]);
    expect(flat.exitCode, flat.stderr).toBe(0);
    expect(createHash('sha256').update(await readFile(flattened)).digest('hex')).toBe(createHash('sha256').update(await readFile(exported)).digest('hex'));

    // amikit's own images, raw and seekable .img.zst (a GPT-less bare filesystem here), read the same.
    const built = join(work.path, 'built.img');
    const builtZst = join(work.path, 'built.img.zst');
    for (const out of [built, builtZst]) {
      const result = await runCli(['build', '--layer', exported, '-o', out, '--seed', 'reader', '--size', '2GiB'], { SOURCE_DATE_EPOCH: '2000000000' });
      expect(result.exitCode, result.stderr).toBe(0);
    }
    const fromRaw = join(work.path, 'from-raw.tar');
    const fromZst = join(work.path, 'from-zst.tar');
    expect((await runCli(['export', built, '-o', fromRaw])).exitCode).toBe(0);
    const zstLayer = await runCli(['flatten', '--layer', builtZst, '-o', fromZst]);
    expect(zstLayer.exitCode, zstLayer.stderr).toBe(0);
    expect(createHash('sha256').update(await readFile(fromZst)).digest('hex')).toBe(createHash('sha256').update(await readFile(fromRaw)).digest('hex'));
    const builtBack = join(work.path, 'built-back');
    await mkdir(builtBack);
    await extractTarWithGnuTar(fromZst, builtBack);
    const fromBuild = await readHostTree(builtBack);
    expect(compareTrees(hostTree, fromBuild, { ignore: (p) => p === '/lost+found' || p === '/', ignoreFields: ['mtimeNs'] }).slice(0, 20)).toEqual([]);

    const cat = await runCli(['cat', image, '/etc/os-release']);
    expect(cat.exitCode, cat.stderr).toBe(0);
    expect(cat.stdout).toBe(await readFile(join(rootDir, 'usr/lib/os-release'), 'utf8'));
    const ls = await runCli(['ls', image, '/etc', '-l']);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/ l[rwx-]{9} +1 +0 +0 +\d+ .* os-release -> \.\.\/usr\/lib\/os-release\n/);
    const stat = await runCli(['stat', image, '/etc/passwd', '--json']);
    expect(stat.exitCode).toBe(0);
    expect(JSON.parse(stat.stdout)).toMatchObject({ type: 'file', mode: 0o644, uid: 0, gid: 0 });
    for (const args of [['ls', image, '/no/such'], ['cat', image, '/etc'], ['stat', image, '/nope'], ['cat', join(work.path, 'missing.img'), '/x']]) {
      const result = await runCli(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^amikit: error: /);
    }
  }, 900_000);
});

/**
 * A seeded sample of paths: every one stat'ed by debugfs (by path, so its lookup is checked too), every
 * sampled regular file dumped by debugfs, every sampled directory listed by debugfs `ls -l`.
 */
async function agreeWithDebugfs(image: string, opened: OpenedImage, tree: FileTree, seed: number): Promise<void> {
  const all: string[] = [];
  for (const { path } of tree.walk()) {
    // debugfs reads a command line: paths it cannot quote are left out (none in the Debian rootfs).
    if (/^[\x21-\x7e]+$/.test(path) && !path.includes('"')) all.push(path);
  }
  const next = random(seed);
  const sample = new Set<string>(['/']);
  while (sample.size < Math.min(SAMPLE, all.length)) sample.add(all[Math.floor(next() * all.length)]!);
  const paths = [...sample];
  const stats = await debugfsBatch(image, paths.map((p) => `stat "${p}"`));
  const dumpDir = (await tempDir('debugfs-dump')).path;
  const files = paths.filter((p) => tree.lookup(p)!.kind === 'file');
  await debugfsBatch(image, files.map((p, i) => `dump "${p}" ${join(dumpDir, String(i))}`));
  const dirs = paths.filter((p) => tree.lookup(p)!.kind === 'dir');
  const listings = await debugfsBatch(image, dirs.map((p) => `ls -l "${p}"`));

  let checkedFiles = 0;
  for (const [index, path] of paths.entries()) {
    const text = stats[index]!;
    const mine = await statInImage(opened, tree, path);
    const head = /^Inode: (\d+) +Type: [a-z ]+? +Mode: +([0-7]+) +Flags: 0x([0-9a-f]+)/m.exec(text);
    expect(head, `${path}: ${text.slice(0, 200)}`).not.toBeNull();
    const owner = /^User: +(-?\d+) +Group: +(-?\d+).*Size: (\d+)$/m.exec(text)!;
    const links = /^Links: (\d+) +Blockcount: (\d+)/m.exec(text)!;
    const got = { inode: mine.inode, mode: mine.mode, flags: mine.flags, uid: mine.uid, gid: mine.gid, size: mine.sizeBytes, links: mine.links, blocks: mine.blocks512 };
    expect(got, path).toEqual({
      inode: Number(head![1]),
      mode: parseInt(head![2]!, 8) & 0o7777,
      flags: parseInt(head![3]!, 16),
      uid: Number(owner[1]) >>> 0,
      gid: Number(owner[2]) >>> 0,
      size: Number(owner[3]),
      links: Number(links[1]),
      blocks: Number(links[2]),
    });
    for (const which of ['atime', 'mtime', 'ctime', 'crtime'] as const) {
      const printed = new RegExp(`^ *${which}: 0x([0-9a-f]{8})(?::([0-9a-f]{8}))? `, 'm').exec(text);
      const t = mine.times[which];
      if (!printed) {
        expect(t, `${path} ${which}`).toBeUndefined();
        continue;
      }
      const ns = decodeExt4Time(parseInt(printed[1]!, 16), printed[2] === undefined ? undefined : parseInt(printed[2], 16));
      expect(BigInt(t!.sec) * 1_000_000_000n + BigInt(t!.nsec), `${path} ${which}`).toBe(ns);
    }
    // xattr names and sizes (debugfs prints ACLs in its own text form, so values are compared via export).
    const xattrs: string[] = [];
    const xattrStart = text.indexOf('\nExtended attributes:\n');
    if (xattrStart >= 0) {
      for (const line of text.slice(xattrStart + 22).split('\n')) {
        const match = /^ {2}(\S+) \((\d+)\)/.exec(line);
        if (!match) break;
        if (!match[1]!.startsWith('system.posix_acl') && match[1] !== 'system.data') xattrs.push(`${match[1]}:${match[2]}`);
      }
    }
    expect(mine.xattrs.filter((x) => !x.name.startsWith('system.posix_acl')).map((x) => `${x.name}:${x.sizeBytes}`).sort(), path).toEqual(xattrs.sort());
    // Extents: debugfs prints leaf runs "(L[-L2]):P[-P2]" (index blocks as "(ETB…)"), "[uninit]" after them.
    const extentsAt = text.indexOf('\nEXTENTS:\n');
    const printedRuns: string[] = [];
    if (extentsAt >= 0) {
      const body = text.slice(extentsAt + 10).split('\n')[0]!;
      for (const part of body.split(', ')) {
        const m = /^\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?( \[uninit\])?$/.exec(part.trim());
        if (!m) continue;
        const count = (m[2] === undefined ? 0 : Number(m[2]) - Number(m[1])) + 1;
        printedRuns.push(`${m[1]}+${count}@${m[3]}${m[5] ? 'u' : ''}`);
      }
    }
    const mineRuns = mine.extents.map((e) => `${e.logicalBlock}+${e.blockCount}@${e.physicalBlock}${e.uninit ? 'u' : ''}`);
    expect(mineRuns, path).toEqual(printedRuns);

    const node = tree.lookup(path)!;
    if (node.kind === 'file') {
      const i = files.indexOf(path);
      const dumped = await readFile(join(dumpDir, String(i)));
      const parts: Buffer[] = [];
      for await (const chunk of readLogicalContent(node)) parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).equals(dumped), `${path}: content`).toBe(true);
      checkedFiles++;
    }
    if (node.kind === 'dir') {
      const listing = listings[dirs.indexOf(path)]!;
      const printed: string[] = [];
      for (const line of listing.split('\n')) {
        const m = /^\s*(\d+)\s+(\d+)\s+\(\d+\)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
        if (!m || m[6] === '.' || m[6] === '..' || m[1] === '0') continue;
        printed.push(`${m[6]} ${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5]}`);
      }
      const typeBits: Record<string, number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000, 'char-device': 0o020000, 'block-device': 0o060000, fifo: 0o010000, socket: 0o140000 };
      const listed = await listInImage(opened, tree, path);
      const ours = listed.entries.map((e) => `${e.name} ${e.inode} ${(typeBits[e.type]! | e.mode).toString(8)} ${e.uid} ${e.gid} ${e.sizeBytes}`);
      expect(ours.sort(), `ls -l ${path}`).toEqual(printed.sort());
    }
  }
  expect(checkedFiles).toBeGreaterThan(100);
}
