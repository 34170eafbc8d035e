// Issue 5 acceptance: a disk from `amikit build --layout uefi` that was made 2 GiB larger before boot (as
// when an EBS volume is bigger than its snapshot) lets the guest grow its root partition and filesystem
// with the image's own tools (growpart, resize2fs), and both the GPT and the filesystem stay clean.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianBootRootfsSkipReason, debianBootRootfsTar } from '../support/debian-boot-rootfs.js';
import { QemuGuest, makeSshKeyPair, qemuBootSkipReason } from '../support/qemu-boot.js';
import { e2fsckPartition, gptPartition, sgdiskVerify } from '../support/qemu-boot-disk.js';
import { runCli } from '../support/run-cli.js';
import { runOk, tempDir, toolSkipReason } from '../support/tools.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const SSH_TIMEOUT_MS = 300_000;

// Grows the partition holding / to the end of its disk and the filesystem to the partition, printing
// the sizes before and after as KEY=VALUE lines (bytes).
const GROW_SCRIPT = String.raw`
set -eu
dev=$(findmnt -no SOURCE /)
disk=/dev/$(lsblk -no PKNAME "$dev")
part=$(cat "/sys/class/block/$(basename "$dev")/partition")
echo "device=$dev"
echo "diskBytes=$(lsblk -bdno SIZE "$disk")"
echo "partBefore=$(lsblk -bno SIZE "$dev")"
echo "fsBefore=$(df -B1 --output=size / | tail -n 1 | tr -d ' ')"
growpart "$disk" "$part" >&2
resize2fs "$dev" >&2
echo "partAfter=$(lsblk -bno SIZE "$dev")"
echo "fsAfter=$(df -B1 --output=size / | tail -n 1 | tr -d ' ')"
echo "blockCount=$(dumpe2fs -h "$dev" 2>/dev/null | awk -F: '$1 == "Block count" { print $2 + 0 }')"
echo "blockSize=$(dumpe2fs -h "$dev" 2>/dev/null | awk -F: '$1 == "Block size" { print $2 + 0 }')"
`;

describe('a --layout uefi disk grown by 2 GiB before boot', () => {
  it('grows its root partition and filesystem in the guest (growpart, resize2fs) and stays clean for sgdisk -v and e2fsck -fn', async (ctx) => {
    const cannot = qemuBootSkipReason() ?? toolSkipReason('sgdisk', 'e2fsck', 'dd', 'truncate');
    if (cannot) return ctx.skip(cannot);
    const tar = await debianBootRootfsTar();
    if (!tar) return ctx.skip(debianBootRootfsSkipReason());
    const { path: dir } = await tempDir('boot-grow');
    const key = await makeSshKeyPair(dir, 'id_injected');

    const disk = join(dir, 'disk.img');
    const build = await runCli(['build', '--layer', tar, '--layout', 'uefi', '--sysprep', '--ssh-key', `root=${key.publicKeyPath}`, '--seed', 'boot-grow', '-o', disk], { SOURCE_DATE_EPOCH: '1747699200' });
    expect(build.exitCode, build.stderr).toBe(0);
    const rootBefore = await gptPartition(disk, 2);

    await runOk('truncate', ['-s', '+2G', disk]);
    // The oracle sees what growing the volume did: the backup GPT is no longer at the end of the disk.
    const stale = await sgdiskVerify(disk);
    expect(stale.clean, stale.output).toBe(false);
    expect(stale.output).toMatch(/secondary header.*(end of the disk|too early)/is);

    const guest = await QemuGuest.start({ diskPath: disk, workDir: dir });
    let grown: Record<string, number> = {};
    try {
      const sshMs = await guest.waitForSsh(key, { timeoutMs: SSH_TIMEOUT_MS });
      const result = await guest.ssh(key, 'sh -s', { input: GROW_SCRIPT, timeoutMs: 180_000 });
      expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
      grown = Object.fromEntries(
        result.stdout
          .split('\n')
          .map((line) => line.split('='))
          .filter((pair): pair is [string, string] => pair.length === 2 && /^\d+$/.test(pair[1] ?? ''))
          .map(([name, value]) => [name, Number(value)]),
      );
      console.log(`boot-grow: SSH ${(sshMs / 1000).toFixed(1)} s after QEMU start; ${result.stderr.split('\n').filter((l) => /CHANGED|now \d+/.test(l)).join('; ')}`);
      const poweroffMs = await guest.poweroff(key);
      console.log(`boot-grow: powered off in ${(poweroffMs / 1000).toFixed(1)} s`);
    } catch (error) {
      (error as Error).message += `\n${guest.diagnostics()}`;
      throw error;
    } finally {
      await guest.stop();
    }

    // The guest saw the partition at its built size, then 2 GiB more (up to the backup GPT at the new
    // end), and a filesystem that now fills it to within one block group.
    const { partBefore = 0, partAfter = 0, fsBefore = 0, fsAfter = 0, blockCount = 0, blockSize = 0 } = grown;
    expect(partBefore).toBe(rootBefore.sizeBytes);
    expect(partAfter - partBefore).toBeGreaterThanOrEqual(2 * GIB - MIB);
    expect(partAfter - partBefore).toBeLessThanOrEqual(2 * GIB + 2 * MIB);
    expect(fsAfter - fsBefore).toBeGreaterThan(2 * GIB - 128 * MIB);
    expect(blockCount * blockSize).toBeLessThanOrEqual(partAfter);
    expect(partAfter - blockCount * blockSize).toBeLessThan(128 * MIB);

    // From the host after poweroff: growpart moved the backup GPT to the new end, the partition table
    // agrees with what the guest saw, and the grown filesystem is clean.
    const gpt = await sgdiskVerify(disk);
    expect(gpt.clean, gpt.output).toBe(true);
    // growpart takes the partition to the last usable sector, which need not be 1 MiB aligned.
    for (const caution of gpt.cautions) expect(caution).toMatch(/doesn't end on a \d+-sector boundary/);
    const rootAfter = await gptPartition(disk, 2);
    expect(rootAfter.firstSector).toBe(rootBefore.firstSector);
    expect(rootAfter.uniqueGuid).toBe(rootBefore.uniqueGuid);
    expect(rootAfter.sizeBytes).toBe(partAfter);
    const fsck = await e2fsckPartition(disk, rootAfter, dir);
    expect(fsck.clean, fsck.output).toBe(true);
    expect(fsck.output).toContain(`/${blockCount} blocks`);
    // …and the e2fsck oracle objects to one changed byte: the superblock's free-blocks count.
    const handle = await open(disk, 'r+');
    try {
      const byte = Buffer.alloc(1);
      const offsetBytes = rootAfter.offsetBytes + 1024 + 0x0c;
      await handle.read(byte, 0, 1, offsetBytes);
      byte[0] = (byte[0] ?? 0) ^ 0xff;
      await handle.write(byte, 0, 1, offsetBytes);
    } finally {
      await handle.close();
    }
    expect((await e2fsckPartition(disk, rootAfter, dir)).clean).toBe(false);
  }, 900_000);
});
