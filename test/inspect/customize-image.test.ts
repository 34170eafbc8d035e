// customizeImage on a whole disk made by independent tools (sgdisk, mkfs.fat + mtools, mke2fs -d): the root
// filesystem is rebuilt with an injected key and host state stripped, every byte outside it is carried
// over unchanged, and e2fsck, sgdisk -v and fsck.fat accept the result. Each oracle is shown to object to
// one corrupted byte. The source volume's tree comes from the layer mke2fs was fed (the same entries).
import { createHash } from 'node:crypto';
import { open, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDirtyRootfsTar } from '../../fixtures/customize/dirty-rootfs.js';
import { RawImageSource } from '../../src/blocks/block-source.js';
import { planCustomization, runCustomization } from '../../src/customize/customize-tree.js';
import { loadTree } from '../../src/pipeline/load-tree.js';
import { customizeImage, type SourceVolume } from '../../src/pipeline/customize-image.js';
import { e2fsck } from '../support/e2fsprogs.js';
import { run, runOk, tempDir, toolSkipReason, isRoot } from '../support/tools.js';
import { runCli } from '../support/run-cli.js';

const skip = toolSkipReason('sgdisk', 'mkfs.fat', 'fsck.fat', 'mmd', 'mcopy', 'mke2fs', 'e2fsck', 'debugfs', 'blkid', 'tar', 'zstd') ?? (isRoot() ? undefined : 'extracting the fixture with its owners needs root');
const MiB = 1024 * 1024;
const ROOT_UUID = '5eedc0de-1234-4abc-8def-0123456789ab';
const KEY = (() => {
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]);
  return `ssh-ed25519 ${blob.toString('base64')} admin@laptop`;
})();

async function readRange(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(lengthBytes);
    await handle.read(buffer, 0, lengthBytes, offsetBytes);
    return buffer;
  } finally {
    await handle.close();
  }
}

async function extractRange(path: string, offsetBytes: number, lengthBytes: number, to: string): Promise<string> {
  await runOk('dd', [`if=${path}`, `of=${to}`, 'bs=1M', `skip=${offsetBytes}`, `count=${lengthBytes}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none']);
  return to;
}

/** sgdisk -v found nothing: it says so and neither cautions nor warns (it "recovers" from a bad primary header and still says "No problems found"). */
function gptClean(result: { exitCode: number; stdout: string; stderr: string }): boolean {
  const output = result.stdout + result.stderr;
  return result.exitCode === 0 && /No problems found/.test(output) && !/caution|warning|error|invalid/i.test(output);
}

interface Partition { firstSector: number; lastSector: number }

async function partition(disk: string, index: number): Promise<Partition> {
  const info = (await runOk('sgdisk', ['-i', String(index), disk])).stdout;
  return { firstSector: Number(/First sector: (\d+)/.exec(info)![1]), lastSector: Number(/Last sector: (\d+)/.exec(info)![1]) };
}

/** A 128 MiB GPT disk: a 40 MiB FAT32 ESP holding a loader entry, and an ext4 root made by mke2fs -d from the dirty tree. */
async function makeDisk(dir: string): Promise<{ disk: string; layer: string; esp: Partition; root: Partition }> {
  const layer = join(dir, 'dirty.tar');
  await writeFile(layer, buildDirtyRootfsTar('debian'));
  const tree = join(dir, 'tree');
  await mkdir(tree);
  await runOk('tar', ['-xpf', layer, '--numeric-owner', '-C', tree]);
  const disk = join(dir, 'disk.img');
  await runOk('truncate', ['-s', String(128 * MiB), disk]);
  await runOk('sgdisk', ['-n', '1:2048:+40M', '-t', '1:ef00', '-c', '1:esp', '-n', '2:0:+80M', '-t', '2:8304', '-c', '2:root', disk]);
  const esp = await partition(disk, 1);
  const root = await partition(disk, 2);
  const espImage = join(dir, 'esp.img');
  await runOk('mkfs.fat', ['-F', '32', '-s', '1', '-n', 'ESP', '-i', '12345678', '-C', espImage, String(((esp.lastSector - esp.firstSector + 1) * 512) / 1024)]);
  await writeFile(join(dir, 'entry.conf'), 'title Debian\nlinux /vmlinuz\noptions root=UUID=' + ROOT_UUID + ' ro\n');
  await runOk('mmd', ['-i', espImage, '::/loader', '::/loader/entries']);
  await runOk('mcopy', ['-i', espImage, join(dir, 'entry.conf'), '::/loader/entries/debian.conf']);
  const rootImage = join(dir, 'root.img');
  await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'rootfs', '-U', ROOT_UUID, '-d', tree, rootImage, `${((root.lastSector - root.firstSector + 1) * 512) / 1024}k`]);
  for (const [image, part] of [[espImage, esp], [rootImage, root]] as const) {
    await runOk('dd', [`if=${image}`, `of=${disk}`, 'bs=1M', `seek=${part.firstSector * 512}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none']);
  }
  return { disk, layer, esp, root };
}

describe.skipIf(skip)(`customizeImage on a whole disk${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('rebuilds the root filesystem with the key and without host state; ESP, GPT and every other byte unchanged', async () => {
    const dir = (await tempDir('customize-disk')).path;
    const { disk, layer, esp, root } = await makeDisk(dir);
    const sizeBytes = (await readFile(disk)).length;
    await writeFile(join(dir, 'admin.pub'), KEY + '\n');
    const rootRange = { offsetBytes: root.firstSector * 512, sizeBytes: (root.lastSector - root.firstSector + 1) * 512 };
    const plan = planCustomization({ sysprep: 'defaults', values: { 'ssh-key': [`admin=${join(dir, 'admin.pub')}`] } });

    for (const output of [join(dir, 'out.img'), join(dir, 'out.img.zst')]) {
      const loaded = await loadTree({ layers: [layer] });
      const blocks = await RawImageSource.open(disk);
      try {
        const source: SourceVolume = { name: disk, blocks, root: rootRange, bareFilesystem: false, filesystem: { uuid: ROOT_UUID, label: 'rootfs' }, tree: loaded.tree };
        const result = await customizeImage({ source, outputPath: output, timestampSec: 1_700_000_000, seed: 'customize', customize: (tree) => runCustomization(tree, plan, { timestampSec: 1_700_000_000 }) });
        expect(result.filesystem).toMatchObject({ uuid: ROOT_UUID, label: 'rootfs', offsetBytes: rootRange.offsetBytes, sizeBytes: rootRange.sizeBytes });
        expect(result.carriedBytes).toBeGreaterThan(0);
      } finally {
        await blocks.close();
        await loaded.close();
      }
    }
    const out = join(dir, 'out.img');
    // The .img.zst output restores to exactly the raw output.
    await runOk('zstd', ['-q', '-d', join(dir, 'out.img.zst'), '-o', join(dir, 'restored.img')]);
    const digest = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');
    expect(await digest(join(dir, 'restored.img'))).toBe(await digest(out));

    // Every byte outside the root filesystem is the input's: protective MBR, both GPTs, the ESP, the gaps.
    const input = await readFile(disk);
    const output = await readFile(out);
    expect(output.length).toBe(sizeBytes);
    const rootEnd = rootRange.offsetBytes + rootRange.sizeBytes;
    expect(output.subarray(0, rootRange.offsetBytes).equals(input.subarray(0, rootRange.offsetBytes))).toBe(true);
    expect(output.subarray(rootEnd).equals(input.subarray(rootEnd))).toBe(true);
    const espRange = [esp.firstSector * 512, (esp.lastSector + 1) * 512] as const;
    expect(createHash('sha256').update(output.subarray(...espRange)).digest('hex')).toBe(createHash('sha256').update(input.subarray(...espRange)).digest('hex'));
    expect(output.subarray(rootRange.offsetBytes, rootEnd).equals(input.subarray(rootRange.offsetBytes, rootEnd))).toBe(false);

    // Oracles: sgdisk -v on the disk, fsck.fat -n on the ESP, e2fsck -fn and debugfs on the root.
    const verify = await run('sgdisk', ['-v', out]);
    expect(gptClean(verify), verify.stdout + verify.stderr).toBe(true);
    const espCopy = await extractRange(out, espRange[0], espRange[1] - espRange[0], join(dir, 'esp-out.img'));
    const fat = await run('fsck.fat', ['-n', espCopy]);
    expect(fat.exitCode, fat.stdout + fat.stderr).toBe(0);
    expect((await runOk('mtype', ['-i', espCopy, '::/loader/entries/debian.conf'])).stdout).toContain(`root=UUID=${ROOT_UUID}`);
    const rootCopy = await extractRange(out, rootRange.offsetBytes, rootRange.sizeBytes, join(dir, 'root-out.img'));
    const check = await e2fsck(rootCopy, 'check');
    expect(check.clean, check.output).toBe(true);
    const blkid = (await runOk('blkid', ['-o', 'export', rootCopy])).stdout;
    expect(blkid).toContain(`UUID=${ROOT_UUID}`);
    expect(blkid).toContain('LABEL=rootfs');
    const debugfs = async (request: string): Promise<string> => (await runOk('debugfs', ['-R', request, rootCopy])).stdout;
    expect(await debugfs('cat /home/admin/.ssh/authorized_keys')).toBe(KEY + '\n');
    expect(await debugfs('stat /etc/machine-id')).toMatch(/Size: 0\b/);
    expect(await debugfs('stat /etc/ssh/ssh_host_ed25519_key')).not.toMatch(/Inode: \d+/);
    const inputRoot = await extractRange(disk, rootRange.offsetBytes, rootRange.sizeBytes, join(dir, 'root-in.img'));
    expect((await runOk('debugfs', ['-R', 'stat /etc/ssh/ssh_host_ed25519_key', inputRoot])).stdout).toMatch(/Inode: \d+/);

    // Each oracle objects to one corrupted byte.
    const corrupt = async (path: string, offsetBytes: number): Promise<string> => {
      const copy = join(dir, `corrupt-${offsetBytes}.img`);
      await runOk('cp', ['--sparse=always', path, copy]);
      const handle = await open(copy, 'r+');
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offsetBytes);
      byte[0] = byte[0]! ^ 0xff;
      await handle.write(byte, 0, 1, offsetBytes);
      await handle.close();
      return copy;
    };
    expect(gptClean(await run('sgdisk', ['-v', await corrupt(out, 512 + 16)]))).toBe(false); // primary header CRC field
    expect((await run('fsck.fat', ['-n', await corrupt(espCopy, 0x0d)])).exitCode).not.toBe(0); // sectors per cluster
    expect((await e2fsck(await corrupt(rootCopy, 1024 + 0x38), 'check')).clean).toBe(false); // superblock magic
    expect((await readRange(out, espRange[0], 1))[0]).toBe(input[espRange[0]]);
  });

  it('amikit customize on the disk: key injected, host state stripped, nothing else changed, ESP and GPT untouched', async () => {
    const dir = (await tempDir('customize-cli')).path;
    const { disk, esp } = await makeDisk(dir);
    await writeFile(join(dir, 'admin.pub'), KEY + '\n');
    const out = join(dir, 'custom.img.zst');
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const customized = await runCli(['customize', disk, '-o', out, '--sysprep', '--ssh-key', `admin=${join(dir, 'admin.pub')}`, '--seed', 'cli', '--json'], env);
    expect(customized.exitCode, customized.stderr).toBe(0);
    const report = JSON.parse(customized.stdout) as { layout: string; filesystem: { uuid: string; label: string }; customization: { operations: Array<{ changes: Array<{ path: string }> }> } };
    expect(report).toMatchObject({ layout: 'gpt', filesystem: { uuid: ROOT_UUID, label: 'rootfs' } });

    const raw = join(dir, 'custom.img');
    await runOk('zstd', ['-q', '-d', out, '-o', raw]);
    const input = await readFile(disk);
    const output = await readFile(raw);
    const espRange = [esp.firstSector * 512, (esp.lastSector + 1) * 512] as const;
    expect(output.subarray(...espRange).equals(input.subarray(...espRange))).toBe(true);
    expect(output.subarray(0, espRange[0]).equals(input.subarray(0, espRange[0]))).toBe(true);
    const verify = await run('sgdisk', ['-v', raw]);
    expect(gptClean(verify), verify.stdout + verify.stderr).toBe(true);

    // Read back through amikit itself: the key is there, machine-id is empty, and sysprep has nothing left to do.
    const facts = JSON.parse((await runCli(['inspect', out, '--json'])).stdout) as {
      image: { layout: string; root: { partition: number }; esp: { partition: number } };
      users: Array<{ name: string; authorizedKeys: number }>;
      machineId: { state: string };
      bootEntries: unknown[];
      sysprep: { changes: number };
    };
    expect(facts.image).toMatchObject({ layout: 'gpt', root: { partition: 2 }, esp: { partition: 1 } });
    expect(facts.users.find((u) => u.name === 'admin')?.authorizedKeys).toBe(1);
    expect(facts.machineId.state).toBe('empty');
    // The loader entry mcopy put on the ESP, read through amikit's FAT reader.
    expect(facts.bootEntries).toEqual([{ kind: 'bls', source: 'esp:/loader/entries/debian.conf', title: 'Debian', linux: '/vmlinuz', initrd: [], options: `root=UUID=${ROOT_UUID} ro` }]);
    expect(facts.sysprep.changes, JSON.stringify(facts.sysprep)).toBe(0);

    // Every difference between input and output is a path the customisation reported (or a directory above one).
    const reported = new Set(report.customization.operations.flatMap((op) => op.changes.map((c) => c.path)));
    const diff = JSON.parse((await runCli(['diff', disk, out, '--json'])).stdout) as { entries: Array<{ path: string }> };
    expect(diff.entries.length).toBeGreaterThan(0);
    for (const entry of diff.entries) {
      expect([...reported].some((path) => path === entry.path || path.startsWith(`${entry.path}/`)), entry.path).toBe(true);
    }
  });

  it('reads a disk whose primary GPT header is damaged through the backup, and says so', async () => {
    const dir = (await tempDir('gpt-backup')).path;
    const { disk } = await makeDisk(dir);
    const handle = await open(disk, 'r+');
    await handle.write(Buffer.from([0xde, 0xad]), 0, 2, 512 + 16); // the primary header's CRC field
    await handle.close();
    const result = await runCli(['inspect', disk, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const facts = JSON.parse(result.stdout) as { image: { gpt: { header: string; primaryProblem: string; partitions: unknown[] }; root: { partition: number } } };
    expect(facts.image.gpt.header).toBe('backup');
    expect(facts.image.gpt.primaryProblem).toMatch(/header CRC mismatch at LBA 1/);
    expect(facts.image.gpt.partitions).toHaveLength(2);
    expect(facts.image.root.partition).toBe(2);
    // Both headers damaged: one error line, exit 2.
    const both = await open(disk, 'r+');
    const { size } = await both.stat();
    await both.write(Buffer.from([0xde, 0xad]), 0, 2, size - 512 + 16);
    await both.close();
    const refused = await runCli(['inspect', disk]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/^amikit: error: .*no valid GPT \(primary: header CRC mismatch at LBA 1; backup: header CRC mismatch at LBA \d+\)\n$/);
  });
});
