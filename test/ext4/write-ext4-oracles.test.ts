// e2fsprogs and the kernel as oracles over whole images: every check has a negative twin (one flipped
// byte must be caught), sizing errors come before any write, output is deterministic, the feature
// profile is exact, images grow offline and online, and the kernel reads and writes them.
import { createHash } from 'node:crypto';
import { open, readFile, stat, writeFile, appendFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmikitError } from '../../src/shared/errors.js';
import { writeExt4 } from '../../src/ext4/write-ext4.js';
import { dumpe2fsHeader, e2fsck, inodeOffsetBytes, loopMount, loopMountSkipReason } from '../support/e2fsprogs.js';
import { compareTrees, readMountedTree } from '../support/tree-facts.js';
import { run, runOk, tempDir, toolSkipReason } from '../support/tools.js';
import { buildImage, expectedFacts, FIXED_TIME_SEC } from './ext4-harness.js';
import { allKindsTree } from './fixture-trees.js';

const MiB = 1024 * 1024;
const mountSkip = await loopMountSkipReason();
/** EXT4_IOC_RESIZE_FS needs CAP_SYS_RESOURCE (bit 24), which containers often drop even for root. */
const onlineResizeSkip =
  mountSkip ??
  (await readFile('/proc/self/status', 'utf8').then((status) => {
    const caps = BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'));
    return (caps >> 24n) & 1n ? undefined : 'online resize needs CAP_SYS_RESOURCE, which this environment does not grant';
  }));

async function flipByte(image: string, offsetBytes: number, mask = 0x01): Promise<void> {
  const handle = await open(image, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offsetBytes);
    byte[0] = byte[0]! ^ mask;
    await handle.write(byte, 0, 1, offsetBytes);
  } finally {
    await handle.close();
  }
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function firstBlockOf(image: string, path: string): Promise<number> {
  const out = (await runOk('debugfs', ['-R', `blocks ${path}`, image])).stdout.trim();
  return Number(out.split(/\s+/)[0]);
}

const PROFILE = 'has_journal ext_attr dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum';
const COMPAT_PROFILE = 'has_journal ext_attr dir_index filetype extent flex_bg sparse_super large_file huge_file dir_nlink extra_isize';

describe.skipIf(toolSkipReason('e2fsck', 'debugfs', 'dumpe2fs'))('ext4 writer against e2fsprogs', () => {
  for (const compat of [false, true]) {
    const label = compat ? ' (compat)' : '';
    it(`shows exactly the feature profile${label}`, async () => {
      const { path } = await buildImage(allKindsTree(), { compat, label: 'rootfs' });
      const { fields } = await dumpe2fsHeader(path);
      expect(fields['Filesystem features']).toBe(compat ? COMPAT_PROFILE : PROFILE);
      expect(fields['Filesystem volume name']).toBe('rootfs');
      expect(fields['Flex block group size']).toBe('16');
      expect(fields['Inode size']).toBe('256');
      expect(fields['Required extra isize']).toBe('32');
      expect(fields['Journal inode']).toBe('8');
      expect(fields['Filesystem flags']).toBe('unsigned_directory_hash');
      expect(fields['Default mount options']).toBe('user_xattr acl');
      expect(fields['Maximum mount count']).toBe('-1');
      expect(fields['Reserved block count']).toBe(String(Math.floor(Number(fields['Block count']) / 20)));
    });

    for (const target of ['inode table', 'directory block', 'group descriptor', 'block bitmap'] as const) {
      it(`e2fsck catches one flipped byte in a ${target}${label}`, async () => {
        const { path } = await buildImage(allKindsTree(), { compat });
        expect((await e2fsck(path, 'check')).clean).toBe(true);
        let offset: number;
        if (target === 'inode table') offset = (await inodeOffsetBytes(path, 2)) + 0x1a; // i_links_count
        else if (target === 'directory block') offset = (await firstBlockOf(path, '/files')) * 4096 + 4; // "." rec_len
        else if (target === 'group descriptor') offset = 4096 + 0x0c; // group 0 bg_free_blocks_count
        else offset = 2 * 4096 + 100; // group 0 block bitmap, inside the used metadata run
        await flipByte(path, offset, target === 'block bitmap' ? 0x10 : 0x01);
        const check = await e2fsck(path, 'check');
        expect(check.clean).toBe(false);
        expect(check.exitCode).not.toBe(0);
        const preen = await e2fsck(path, 'preen');
        expect(preen.clean).toBe(false);
      });
    }
  }

  it('e2fsck catches a flipped superblock byte through the superblock checksum', async () => {
    const { path } = await buildImage(allKindsTree());
    await flipByte(path, 1024 + 0x78); // s_volume_name
    expect((await e2fsck(path, 'check')).clean).toBe(false);
  });

  it('refuses content that does not fit before writing anything', async () => {
    const dir = (await tempDir('ext4-nospace')).path;
    const path = join(dir, 'small.img');
    const handle = await open(path, 'w+');
    try {
      const error = await writeExt4(allKindsTree(), { handle, offsetBytes: 0 }, { timestampSec: FIXED_TIME_SEC, sizeBytes: 64 * MiB }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AmikitError);
      expect((error as AmikitError).code).toBe('NO_SPACE');
      expect((error as AmikitError).message).toMatch(/^content needs at least \d+ MiB \(\d+ blocks of 4 KiB\); --size is 64 MiB$/);
      const needed = Number(/at least (\d+) MiB/.exec((error as AmikitError).message)![1]);
      expect((await stat(path)).size).toBe(0);
      // The size it names is enough, one MiB less is not.
      const fits = await buildImage(allKindsTree(), { sizeBytes: needed * MiB });
      expect((await e2fsck(fits.path, 'check')).clean).toBe(true);
      await expect(buildImage(allKindsTree(), { sizeBytes: (needed - 1) * MiB })).rejects.toThrow(/content needs at least/);
    } finally {
      await handle.close();
    }
  });

  it('writes inside a disk image at an offset without touching bytes outside its range', async () => {
    const dir = (await tempDir('ext4-offset')).path;
    const disk = join(dir, 'disk.img');
    const sizeBytes = 256 * MiB;
    const handle = await open(disk, 'w+');
    try {
      await handle.truncate(MiB + sizeBytes + MiB);
      await handle.write(Buffer.alloc(MiB, 0xaa), 0, MiB, 0);
      await handle.write(Buffer.alloc(MiB, 0xbb), 0, MiB, MiB + sizeBytes);
      const result = await writeExt4(allKindsTree(), { handle, offsetBytes: MiB }, { timestampSec: FIXED_TIME_SEC, seed: 's', sizeBytes });
      expect(result.sizeBytes).toBe(sizeBytes);
      const before = Buffer.alloc(MiB);
      const after = Buffer.alloc(MiB);
      await handle.read(before, 0, MiB, 0);
      await handle.read(after, 0, MiB, MiB + sizeBytes);
      expect(before.equals(Buffer.alloc(MiB, 0xaa)) && after.equals(Buffer.alloc(MiB, 0xbb))).toBe(true);
    } finally {
      await handle.close();
    }
    const part = join(dir, 'part.img');
    await runOk('dd', [`if=${disk}`, `of=${part}`, 'bs=1M', 'skip=1', `count=${sizeBytes / MiB}`, 'conv=sparse', 'status=none']);
    expect((await e2fsck(part, 'check')).clean).toBe(true);
  });

  it('is deterministic: same inputs give the same bytes, another seed changes only identity and hashes', async () => {
    const dir = (await tempDir('ext4-determinism')).path;
    const a = await buildImage(allKindsTree(), { seed: 'one' }, dir);
    const b = await buildImage(allKindsTree(), { seed: 'one' }, dir);
    const c = await buildImage(allKindsTree(), { seed: 'two' }, dir);
    expect(await sha256File(a.path)).toBe(await sha256File(b.path));
    expect(a.result).toEqual(b.result);
    expect(await sha256File(a.path)).not.toBe(await sha256File(c.path));
    expect(c.result.uuid).not.toBe(a.result.uuid);
    expect(c.result.writtenMap).toEqual(a.result.writtenMap);
    // Everything dumpe2fs reports except the UUID, hash seed and checksums is identical.
    const mask = (text: string): string =>
      text
        .split('\n')
        .filter((line) => !/^(Filesystem UUID|Directory Hash Seed|Checksum|Journal checksum):/.test(line))
        .map((line) => line.replace(/csum 0x[0-9a-f]+/g, 'csum X'))
        .join('\n');
    const dumpA = (await runOk('dumpe2fs', [a.path])).stdout;
    const dumpC = (await runOk('dumpe2fs', [c.path])).stdout;
    expect(mask(dumpC)).toBe(mask(dumpA));
    expect(dumpC).not.toBe(dumpA);
  });

  it('grows offline: truncate to 4x, resize2fs, e2fsck clean (also when the GDT must grow from 2 to 6 blocks)', async () => {
    const cases = [{ compat: false }, { compat: true }, { compat: false, sizeBytes: 3 * 1024 * MiB }];
    for (const options of cases) {
      const { path, result } = await buildImage(allKindsTree(), options);
      await runOk('truncate', ['-s', String(result.sizeBytes * 4), path]);
      const resized = await run('resize2fs', [path]);
      expect(resized.exitCode, resized.stdout + resized.stderr).toBe(0);
      const check = await e2fsck(path, 'check');
      expect(check.clean, check.output).toBe(true);
      const { fields } = await dumpe2fsHeader(path);
      expect(Number(fields['Block count'])).toBe((result.blockCount * 4));
    }
  });

  it.skipIf(onlineResizeSkip)('grows online: mounted rw, device grown, resize2fs on the live fs', async () => {
    const { path, result } = await buildImage(allKindsTree());
    const loop = (await runOk('losetup', ['-f', '--show', path])).stdout.trim();
    const dir = (await tempDir('ext4-online')).path;
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    try {
      await runOk('mount', [loop, mnt]);
      try {
        await runOk('truncate', ['-s', String(result.sizeBytes * 4), path]);
        await runOk('losetup', ['-c', loop]);
        const resized = await run('resize2fs', [loop]);
        expect(resized.exitCode, resized.stdout + resized.stderr).toBe(0);
        expect(resized.stdout + resized.stderr).toMatch(/on-line resizing required/);
        await writeFile(join(mnt, 'after-grow'), Buffer.alloc(MiB, 1));
      } finally {
        await runOk('umount', [mnt]);
      }
    } finally {
      await runOk('losetup', ['-d', loop]);
    }
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
    const { fields } = await dumpe2fsHeader(path);
    expect(Number(fields['Block count'])).toBe(result.blockCount * 4);
  });

  it.skipIf(mountSkip)('the kernel reads back the same tree (read-only loop mount)', async () => {
    const tree = allKindsTree();
    const { path } = await buildImage(tree);
    const mounted = await loopMount(path, { readOnly: true });
    try {
      const differences = compareTrees(await expectedFacts(tree), await readMountedTree(mounted.dir), { ignore: (p) => p.startsWith('/lost+found') });
      expect(differences).toEqual([]);
    } finally {
      await mounted.unmount();
    }
  });

  it.skipIf(mountSkip)('stays e2fsck-clean after the kernel creates, appends to and deletes files', async () => {
    const { path } = await buildImage(allKindsTree());
    const mounted = await loopMount(path, { readOnly: false });
    try {
      await writeFile(join(mounted.dir, 'new-file'), Buffer.alloc(3 * MiB, 7));
      await appendFile(join(mounted.dir, 'files/b4097'), Buffer.alloc(10_000, 9));
      await rm(join(mounted.dir, 'files/big'));
      await rm(join(mounted.dir, 'links/a'));
      await mkdir(join(mounted.dir, 'deep/a/new-dir'));
      for (let i = 0; i < 300; i++) await writeFile(join(mounted.dir, 'deep/a/new-dir', `f${i}`), `file ${i}`);
    } finally {
      await mounted.unmount();
    }
    const check = await e2fsck(path, 'check');
    expect(check.clean, check.output).toBe(true);
  });
});
