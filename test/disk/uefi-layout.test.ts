// `amikit build --layout uefi` checked by independent readers: sgdisk -v for the GPT, fsck.fat and mtools
// for the ESP, e2fsck for the root partition; each with a negative test, plus determinism and refusals.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGpt } from '../../src/disk/read-gpt.js';
import { runCli } from '../support/run-cli.js';
import { run, runOk, tempDir, toolSkipReason, type TempDir } from '../support/tools.js';
import { e2fsck } from '../support/e2fsprogs.js';
import { sgdiskVerify } from '../support/qemu-boot-disk.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };
const MiB = 1024 * 1024;
const KERNEL = '6.1.0-9-amd64';

let work: TempDir;
let tree: string;
let disk: string;
let report: {
  layout: string;
  disk: { sizeBytes: number; diskGuid: string; partitions: Array<{ role: string; partUuid: string; typeGuid: string; offsetBytes: number; sizeBytes: number; index: number }>; bootEntry: { options: string } };
};
const files: Record<string, Buffer> = {};

function pattern(lengthBytes: number, seed: string): Buffer {
  const out = Buffer.alloc(lengthBytes);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < lengthBytes; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

async function makeTree(root: string, options: { kernel?: boolean; loader?: boolean; fstab?: string } = {}): Promise<void> {
  await mkdir(join(root, 'boot'), { recursive: true });
  await mkdir(join(root, 'usr/lib/systemd/boot/efi'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  if (options.kernel ?? true) {
    files[`vmlinuz-${KERNEL}`] = pattern(3 * MiB + 17, 'kernel');
    files[`initrd.img-${KERNEL}`] = pattern(5 * MiB + 3, 'initrd');
    await writeFile(join(root, `boot/vmlinuz-${KERNEL}`), files[`vmlinuz-${KERNEL}`]!);
    await writeFile(join(root, `boot/initrd.img-${KERNEL}`), files[`initrd.img-${KERNEL}`]!);
    // An older kernel that must not be chosen.
    await writeFile(join(root, 'boot/vmlinuz-6.1.0-1-amd64'), pattern(1000, 'old'));
  }
  if (options.loader ?? true) {
    files['EFI/BOOT/BOOTX64.EFI'] = pattern(100_001, 'loader');
    await writeFile(join(root, 'usr/lib/systemd/boot/efi/systemd-bootx64.efi'), files['EFI/BOOT/BOOTX64.EFI']!);
  }
  await writeFile(join(root, 'etc/fstab'), options.fstab ?? 'LABEL=root / ext4 defaults 0 1\n');
  await writeFile(join(root, 'etc/os-release'), 'PRETTY_NAME="Test OS 1"\n');
}

async function partitionCopy(image: string, partition: { offsetBytes: number; sizeBytes: number }, name: string): Promise<string> {
  const out = join(work.path, name);
  const source = await open(image, 'r');
  const target = await open(out, 'w');
  try {
    const buffer = Buffer.alloc(4 * MiB);
    for (let done = 0; done < partition.sizeBytes; done += buffer.length) {
      const length = Math.min(buffer.length, partition.sizeBytes - done);
      await source.read(buffer, 0, length, partition.offsetBytes + done);
      await target.write(buffer, 0, length, done);
    }
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
  return out;
}

const skip = toolSkipReason('sgdisk', 'fsck.fat', 'mdir', 'mcopy', 'e2fsck', 'debugfs', 'dumpe2fs', 'zstd');

describe.skipIf(skip)('build --layout uefi', () => {
  beforeAll(async () => {
    work = await tempDir('uefi-layout');
    tree = join(work.path, 'tree');
    await makeTree(tree);
    disk = join(work.path, 'disk.img');
    const result = await runCli(['build', '--layer', tree, '--layout', 'uefi', '--seed', 'one', '--kernel-arg', 'quiet', '--json', '-o', disk], EPOCH);
    expect(result.exitCode, result.stderr).toBe(0);
    report = JSON.parse(result.stdout);
  });
  afterAll(async () => work?.cleanup());

  it('writes a GPT that sgdisk accepts, with the reported partitions, 1 MiB aligned', async () => {
    const verdict = await sgdiskVerify(disk);
    expect(verdict.clean, verdict.output).toBe(true);
    const handle = await open(disk, 'r');
    try {
      const size = (await handle.stat()).size;
      expect(size).toBe(report.disk.sizeBytes);
      const gpt = await readGpt(async (offset, length) => {
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, offset);
        return buffer;
      }, size, disk);
      expect(gpt.header).toBe('primary');
      expect(gpt.diskGuid).toBe(report.disk.diskGuid);
      expect(gpt.partitions.map((p) => [p.uniqueGuid, p.typeGuid, p.offsetBytes, p.sizeBytes])).toEqual(
        report.disk.partitions.map((p) => [p.partUuid, p.typeGuid, p.offsetBytes, p.sizeBytes]),
      );
    } finally {
      await handle.close();
    }
    for (const p of report.disk.partitions) expect(p.offsetBytes % MiB).toBe(0);
    expect(report.disk.partitions.map((p) => p.role)).toEqual(['esp', 'root']);
    expect(report.disk.partitions[1]!.typeGuid).toBe('4f68bce3-e8cd-4db1-96e7-fbcaf984b709');
  });

  it('sgdisk objects to one corrupted header byte', async () => {
    const bad = join(work.path, 'bad-gpt.img');
    await copyFile(disk, bad);
    const handle = await open(bad, 'r+');
    await handle.write(Buffer.from([0x5a]), 0, 1, 512 + 24);
    await handle.close();
    expect((await sgdiskVerify(bad)).clean).toBe(false);
  });

  it('writes a FAT32 ESP that fsck.fat accepts and mtools reads back byte for byte', async () => {
    const esp = await partitionCopy(disk, report.disk.partitions[0]!, 'esp.img');
    const fsck = await run('fsck.fat', ['-n', '-v', esp]);
    expect(fsck.exitCode, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout).toMatch(/32 bit entries/);
    expect(Number(/(\d+) data clusters/.exec(fsck.stdout)?.[1])).toBeGreaterThanOrEqual(65_525);
    const listing = await runOk('mdir', ['-/', '-b', '-i', esp, '::']);
    const listed = listing.stdout.split('\n').filter(Boolean).map((line) => line.replace(/^::\//, '')).sort();
    expect(listed).toEqual(expect.arrayContaining(['EFI/BOOT/BOOTX64.EFI', 'loader/loader.conf', 'loader/entries/amikit.conf', `vmlinuz-${KERNEL}`, `initrd.img-${KERNEL}`]));
    for (const [path, bytes] of Object.entries(files)) {
      const out = join(work.path, 'copied');
      await runOk('mcopy', ['-n', '-o', '-i', esp, `::/${path}`, out]);
      expect(createHash('sha256').update(await readFile(out)).digest('hex'), path).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const entry = (await runOk('mtype', ['-i', esp, '::/loader/entries/amikit.conf'])).stdout;
    expect(entry).toContain(`linux /vmlinuz-${KERNEL}`);
    expect(entry).toContain(`initrd /initrd.img-${KERNEL}`);
    expect(entry).toContain('title Test OS 1');
    const root = report.disk.partitions[1]!;
    expect(entry).toContain(`options root=PARTUUID=${root.partUuid} rw console=tty0 console=ttyS0,115200n8 quiet`);
  });

  it('fsck.fat objects to a damaged FAT', async () => {
    const esp = await partitionCopy(disk, report.disk.partitions[0]!, 'esp-bad.img');
    const handle = await open(esp, 'r+');
    await handle.write(Buffer.from([0x77]), 0, 1, 32 * 512 + 12); // first FAT, cluster 3's entry
    await handle.close();
    expect((await run('fsck.fat', ['-n', esp])).exitCode).not.toBe(0);
  });

  it('puts a clean ext4 in the root partition, labelled as the image fstab names it', async () => {
    const root = await partitionCopy(disk, report.disk.partitions[1]!, 'root.img');
    const check = await e2fsck(root, 'check');
    expect(check.exitCode, check.output).toBe(0);
    expect((await runOk('dumpe2fs', ['-h', root])).stdout).toMatch(/^Filesystem volume name:\s+root$/m);
    const fstab = (await runOk('debugfs', ['-R', 'cat /etc/fstab', root])).stdout;
    expect(fstab).toBe('LABEL=root / ext4 defaults 0 1\n');
  });

  it('is deterministic: the same inputs and seed give the same bytes; .img.zst decompresses to them', async () => {
    const again = join(work.path, 'again.img');
    const zst = join(work.path, 'disk.img.zst');
    expect((await runCli(['build', '--layer', tree, '--layout', 'uefi', '--seed', 'one', '--kernel-arg', 'quiet', '-o', again], EPOCH)).exitCode).toBe(0);
    expect((await runCli(['build', '--layer', tree, '--layout', 'uefi', '--seed', 'one', '--kernel-arg', 'quiet', '-o', zst], EPOCH)).exitCode).toBe(0);
    const hash = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');
    expect(await hash(again)).toBe(await hash(disk));
    const unpacked = join(work.path, 'unpacked.img');
    await runOk('zstd', ['-q', '-d', zst, '-o', unpacked]);
    expect(await hash(unpacked)).toBe(await hash(disk));
  });

  it('rewrites an fstab root entry that names another device to the root PARTUUID', async () => {
    const other = join(work.path, 'tree-dev');
    await makeTree(other, { fstab: '# comment\n/dev/sda1 / ext4 defaults 0 1\n/dev/sdb1 /data ext4 defaults 0 2\n' });
    const out = join(work.path, 'dev.img');
    const result = await runCli(['build', '--layer', other, '--layout', 'uefi', '--seed', 'two', '--json', '-o', out], EPOCH);
    expect(result.exitCode, result.stderr).toBe(0);
    const built = JSON.parse(result.stdout) as typeof report & { disk: { fstabRootRewrittenFrom?: string } };
    expect(built.disk.fstabRootRewrittenFrom).toBe('/dev/sda1');
    const root = await partitionCopy(out, built.disk.partitions[1]!, 'dev-root.img');
    const fstab = (await runOk('debugfs', ['-R', 'cat /etc/fstab', root])).stdout;
    expect(fstab).toBe(`# comment\nPARTUUID=${built.disk.partitions[1]!.partUuid}\t/\text4\tdefaults\t0\t1\n/dev/sdb1 /data ext4 defaults 0 2\n`);
  });

  it.each([
    ['kernel', { kernel: false }, /no kernel.*linux-image-amd64/],
    ['boot loader', { loader: false }, /no UEFI boot loader.*systemd-boot/],
  ] as const)('refuses an image without a %s: exit 2, one line, no output', async (_what, options, message) => {
    const bare = join(work.path, `tree-no-${_what.replace(' ', '-')}`);
    await makeTree(bare, options);
    const outDir = join(work.path, `out-${_what.replace(' ', '-')}`);
    await mkdir(outDir);
    const result = await runCli(['build', '--layer', bare, '--layout', 'uefi', '-o', join(outDir, 'disk.img')], EPOCH);
    expect(result.exitCode).toBe(2);
    const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('amikit: error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(message);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses --kernel-arg without --layout uefi (exit 2)', async () => {
    const result = await runCli(['build', '--layer', tree, '--kernel-arg', 'quiet', '-o', join(work.path, 'x.img')], EPOCH);
    expect(result.exitCode).toBe(2);
  });
});
