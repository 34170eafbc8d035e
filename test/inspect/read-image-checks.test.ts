// What the reader reports rather than refuses: a metadata checksum that does not match (an inode, a
// directory block) is counted and named while the tree is still read — and e2fsck objects to the same
// byte, so the check is real — a journal that needs recovery is reported by inspect, and an MBR disk's
// Linux partition is found and read.
import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inodeOffsetBytes } from '../support/e2fsprogs.js';
import { runCli } from '../support/run-cli.js';
import { run, runOk, tempDir, toolSkipReason } from '../support/tools.js';

const skip = toolSkipReason('mke2fs', 'debugfs', 'e2fsck', 'dumpe2fs');

async function smallImage(dir: string, blockSize: number): Promise<string> {
  const source = join(dir, 'src');
  await mkdir(join(source, 'd'), { recursive: true });
  await writeFile(join(source, 'd', 'f'), 'hello\n');
  await symlink('d/f', join(source, 'l'));
  const image = join(dir, 'fs.img');
  await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', String(blockSize), '-O', 'metadata_csum,64bit', '-d', source, image, '16M']);
  return image;
}

async function flip(image: string, offsetBytes: number): Promise<void> {
  const handle = await open(image, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offsetBytes);
  byte[0] = byte[0]! ^ 0xff;
  await handle.write(byte, 0, 1, offsetBytes);
  await handle.close();
}

interface Checks { checksums: { inodes: { checked: number; bad: number }; directoryBlocks: { checked: number; bad: number }; failures: string[] } }

describe.skipIf(skip)(`checksums and journal state are reported${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('a damaged inode checksum is named by export and stat, the tree still read, and e2fsck objects too', async () => {
    const dir = (await tempDir('read-image-checks')).path;
    const image = await smallImage(dir, 4096);
    const clean = await runCli(['export', image, '-o', join(dir, 'a.tar'), '--json']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect((JSON.parse(clean.stdout) as Checks).checksums.inodes).toMatchObject({ bad: 0 });
    const ino = Number(/^Inode: (\d+)/m.exec((await runOk('debugfs', ['-R', 'stat /d/f', image])).stdout)![1]);
    // The checksum's low half: only the stored sum changes, every field the tree shows stays intact.
    await flip(image, (await inodeOffsetBytes(image, ino)) + 0x7c);
    const damaged = await runCli(['export', image, '-o', join(dir, 'b.tar'), '--json']);
    expect(damaged.exitCode, damaged.stderr).toBe(0);
    const report = JSON.parse(damaged.stdout) as Checks;
    expect(report.checksums.inodes.bad).toBe(1);
    expect(report.checksums.failures).toEqual([`inode ${ino}`]);
    expect(damaged.stderr).toMatch(/1 metadata checksum does not match; the tree was read anyway/);
    const stat = await runCli(['stat', image, '/d/f', '--json']);
    expect(JSON.parse(stat.stdout)).toMatchObject({ inode: ino, checksum: 'bad', sizeBytes: 6 });
    expect((await run('e2fsck', ['-fn', image])).exitCode).not.toBe(0);
  });

  it('a damaged directory block checksum is counted and named (1 KiB blocks)', async () => {
    const dir = (await tempDir('read-image-checks-dir')).path;
    const image = await smallImage(dir, 1024);
    const ino = Number(/^Inode: (\d+)/m.exec((await runOk('debugfs', ['-R', 'stat /d', image])).stdout)![1]);
    const block = Number((await runOk('debugfs', ['-R', 'blocks /d', image])).stdout.trim().split(/\s+/)[0]);
    // The last byte of the block is the high byte of the tail's checksum.
    await flip(image, block * 1024 + 1023);
    const damaged = await runCli(['export', image, '-o', join(dir, 'b.tar'), '--json']);
    expect(damaged.exitCode, damaged.stderr).toBe(0);
    const report = JSON.parse(damaged.stdout) as Checks;
    expect(report.checksums.directoryBlocks.bad).toBe(1);
    expect(report.checksums.failures).toEqual([`directory inode ${ino} block ${block}`]);
    const ls = await runCli(['ls', image, '/d']);
    expect(ls.stdout).toBe('f\n');
    expect((await run('e2fsck', ['-fn', image])).exitCode).not.toBe(0);
  });

  it('a journal that needs recovery is reported, and the tree is still read', async () => {
    const dir = (await tempDir('read-image-journal')).path;
    const image = await smallImage(dir, 4096);
    await runOk('debugfs', ['-w', '-R', 'feature needs_recovery', image]);
    const inspected = await runCli(['inspect', image, '--json']);
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    expect((JSON.parse(inspected.stdout) as { image: { filesystem: { needsRecovery: boolean } } }).image.filesystem.needsRecovery).toBe(true);
    expect((await runCli(['cat', image, '/l'])).stdout).toBe('hello\n');
  });

  it('an MBR disk: the Linux partition holding ext4 is the root filesystem (a FAT-typed first slot skipped)', async () => {
    const dir = (await tempDir('read-image-mbr')).path;
    const source = join(dir, 'src');
    await mkdir(source);
    await writeFile(join(source, 'hello'), 'from an MBR disk\n');
    const disk = join(dir, 'mbr.img');
    const startSector = 4096;
    const sectors = 60_000 * 2;
    await writeFile(disk, Buffer.alloc(0));
    await runOk('truncate', ['-s', '80M', disk]);
    await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', '-E', `offset=${startSector * 512}`, '-d', source, disk, '60000k']);
    // A classic table written by hand: slot 1 a small FAT32 (LBA) entry with no filesystem, slot 2 Linux.
    const sector = Buffer.alloc(512);
    const entry = (slot: number, type: number, first: number, count: number): void => {
      const at = 0x1be + slot * 16;
      sector[at + 4] = type;
      sector.writeUInt32LE(first, at + 8);
      sector.writeUInt32LE(count, at + 12);
    };
    entry(0, 0x0c, 2048, 2048);
    entry(1, 0x83, startSector, sectors);
    sector.writeUInt16LE(0xaa55, 510);
    const handle = await open(disk, 'r+');
    await handle.write(sector, 0, 512, 0);
    await handle.close();
    const inspected = await runCli(['inspect', disk, '--json']);
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ image: { layout: 'mbr', root: { partition: 2, offsetBytes: startSector * 512 } } });
    expect((await runCli(['cat', disk, '/hello'])).stdout).toBe('from an MBR disk\n');
    const flattened = await runCli(['flatten', '--layer', disk, '-o', join(dir, 'out.tar')]);
    expect(flattened.exitCode, flattened.stderr).toBe(0);
    // Without the signature the same bytes are neither a filesystem nor a disk: one error line, exit 2.
    const broken = await open(disk, 'r+');
    await broken.write(Buffer.alloc(2), 0, 2, 510);
    await broken.close();
    const refused = await runCli(['ls', disk]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });
});
