// inspect and diff on images: the Debian rootfs built into an 8 GiB sparse image (raw and .img.zst) read
// back by the ext4 reader entry by entry (diff against the tar: only lost+found differs, times included),
// filesystem facts checked against dumpe2fs, a one-file change between two builds reported exactly, images
// written by mke2fs (1 KiB blocks, no metadata_csum, 32-bit) read the same way, and bad images refused.
import { open, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDirtyRootfsTar } from '../../fixtures/customize/dirty-rootfs.js';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { dumpe2fsHeader } from '../support/e2fsprogs.js';
import { runCli } from '../support/run-cli.js';
import { runOk, tempDir, toolSkipReason } from '../support/tools.js';

const skip = toolSkipReason('dumpe2fs', 'mke2fs', 'tar');
const ENV = { SOURCE_DATE_EPOCH: '1700000000' };
/** Later than every time in the fixture: nothing is clamped, so read-back times must equal the tar's. */
const ENV_LATE = { SOURCE_DATE_EPOCH: '2000000000' };

interface DiffResult { entries: Array<{ path: string; change: string; aspects?: string[] }>; added: number; removed: number; changed: number }

describe.skipIf(skip)(`inspect and diff on images${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('an 8 GiB sparse Debian image: facts agree with dumpe2fs, the tree with the tar, and inspect stays fast', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const dir = (await tempDir('image-inspect')).path;
    const image = join(dir, 'debian.img');
    const built = await runCli(['build', '--layer', tar, '-o', image, '--size', '8GiB', '--seed', 'inspect', '--label', 'debian-root'], ENV_LATE);
    expect(built.exitCode, built.stderr).toBe(0);

    const started = performance.now();
    const inspected = await runCli(['inspect', image, '--json']);
    const elapsedMs = performance.now() - started;
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    // The acceptance is < 1 s on the development machine; the bound here is generous for loaded CI hosts.
    expect(elapsedMs).toBeLessThan(10_000);
    const facts = JSON.parse(inspected.stdout) as {
      image: { layout: string; format: string; sizeBytes: number; filesystem: Record<string, unknown> & { features: string[] } };
      os: { id: string };
      kernels: unknown[];
    };
    const header = await dumpe2fsHeader(image);
    expect(facts.image).toMatchObject({ layout: 'filesystem', format: 'raw', sizeBytes: 8 * 1024 ** 3 });
    expect(facts.image.filesystem).toMatchObject({
      uuid: header.fields['Filesystem UUID'],
      label: header.fields['Filesystem volume name'] === '<none>' ? '' : header.fields['Filesystem volume name'],
      blockSizeBytes: Number(header.fields['Block size']),
      blockCount: Number(header.fields['Block count']),
      freeBlocks: Number(header.fields['Free blocks']),
      inodeCount: Number(header.fields['Inode count']),
      freeInodes: Number(header.fields['Free inodes']),
      superblockChecksum: 'ok',
      needsRecovery: false,
    });
    expect(facts.image.filesystem.label).toBe('debian-root');
    expect([...facts.image.filesystem.features].sort()).toEqual([...header.features.filter((f) => f !== 'needs_recovery')].sort());
    expect(facts.os.id).toBe('debian');
    expect(facts.kernels.length).toBeGreaterThan(0);

    // Every entry, with contents, modes, owners, xattrs, targets and times, reads back as the tar has it.
    const back = await runCli(['diff', tar, image, '--mtime', '--json']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect((JSON.parse(back.stdout) as DiffResult).entries).toEqual([{ path: '/lost+found', change: 'added', kindB: 'dir', entriesBelow: 0 }]);

    // The same build as a seekable .img.zst reads identically.
    const zst = join(dir, 'debian.img.zst');
    expect((await runCli(['build', '--layer', tar, '-o', zst, '--size', '8GiB', '--seed', 'inspect', '--label', 'debian-root'], ENV_LATE)).exitCode).toBe(0);
    const same = await runCli(['diff', image, zst, '--mtime']);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stdout).toBe('0 added, 0 removed, 0 changed\n');
  });

  it('a build and the same build with one file changed differ in exactly that file', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const dir = (await tempDir('image-diff')).path;
    const motd = join(dir, 'motd');
    await writeFile(motd, 'changed\n');
    const a = join(dir, 'a.img');
    const b = join(dir, 'b.img');
    const base = ['build', '--layer', tar, '--seed', 'diff', '--size', '2GiB'];
    expect((await runCli([...base, '-o', a], ENV)).exitCode).toBe(0);
    const second = await runCli([...base, '-o', b, '--file', `${motd}:/etc/motd:0644`], ENV);
    expect(second.exitCode, second.stderr).toBe(0);
    const diff = await runCli(['diff', a, b, '--json']);
    expect(diff.exitCode, diff.stderr).toBe(0);
    const result = JSON.parse(diff.stdout) as DiffResult;
    expect(result.entries.map((e) => [e.path, e.change, e.aspects])).toEqual([['/etc/motd', 'changed', ['content']]]);
  });

  it('images made by mke2fs -d (4 KiB and 1 KiB blocks, with and without metadata_csum) read back as their input', async () => {
    const dir = (await tempDir('image-mke2fs')).path;
    const layer = join(dir, 'dirty.tar');
    await writeFile(layer, buildDirtyRootfsTar());
    const tree = join(dir, 'tree');
    await mkdir(tree);
    await runOk('tar', ['-xpf', layer, '--numeric-owner', '-C', tree]);
    const variants: Array<[string, string[]]> = [
      ['4k-csum', ['-b', '4096', '-O', 'metadata_csum,64bit']],
      ['1k-plain', ['-b', '1024', '-O', '^metadata_csum,^64bit']],
    ];
    for (const [name, args] of variants) {
      const image = join(dir, `${name}.img`);
      await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', ...args, '-d', tree, image, '64M']);
      const diff = await runCli(['diff', layer, image, '--json']);
      expect(diff.exitCode, `${name}: ${diff.stderr}`).toBe(0);
      // mke2fs gives the root directory its own times and mode only where -d's source differs; contents,
      // owners, modes, targets and xattrs of every entry must match.
      expect((JSON.parse(diff.stdout) as DiffResult).entries, name).toEqual([{ path: '/lost+found', change: 'added', kindB: 'dir', entriesBelow: 0 }]);
      const facts = JSON.parse((await runCli(['inspect', image, '--json'])).stdout) as { image: { filesystem: { blockSizeBytes: number; superblockChecksum: string } } };
      expect(facts.image.filesystem.blockSizeBytes).toBe(name.startsWith('1k') ? 1024 : 4096);
      expect(facts.image.filesystem.superblockChecksum).toBe(name.endsWith('csum') ? 'ok' : 'none');
    }
  });

  it('refuses damaged images with one error line and exit 2', async () => {
    const dir = (await tempDir('image-bad')).path;
    const layer = join(dir, 'dirty.tar');
    await writeFile(layer, buildDirtyRootfsTar());
    const image = join(dir, 'fs.img');
    expect((await runCli(['build', '--layer', layer, '-o', image, '--seed', 'bad'])).exitCode).toBe(0);
    const rootDirBlock = Number(/EXTENTS:\s*\(0\):(\d+)/.exec((await runOk('debugfs', ['-R', 'stat /', image])).stdout)![1]);
    const damage = async (offsetBytes: number, bytes: Buffer): Promise<string> => {
      const copy = join(dir, `bad-${offsetBytes}.img`);
      await runOk('cp', ['--sparse=always', image, copy]);
      const handle = await open(copy, 'r+');
      await handle.write(bytes, 0, bytes.length, offsetBytes);
      await handle.close();
      return copy;
    };
    const cases: Array<[string[], RegExp]> = [
      // s_inodes_per_group = 0
      [['inspect', await damage(1024 + 0x28, Buffer.alloc(4))], /superblock geometry is inconsistent/],
      // No superblock magic: inspect would take the file for a layer, customize takes only images.
      [['customize', await damage(1024 + 0x38, Buffer.from([0, 0])), '-o', join(dir, 'never.img'), '--sysprep'], /neither an ext4 filesystem nor a GPT or MBR disk/],
      // rec_len of the first entry of the root directory: 3 is below the minimum and not a multiple of 4.
      [['inspect', await damage(rootDirBlock * 4096 + 4, Buffer.from([3, 0]))], /directory inode 2: malformed entry/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args);
      expect(result.exitCode, result.stderr).toBe(2);
      const lines = result.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^amikit: error: /);
      expect(lines[0]).toMatch(pattern);
    }
  });
});
