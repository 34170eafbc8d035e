// amikit customize on a bootable UEFI disk (the reference disk: sgdisk, mkfs.fat + mtools around an amikit
// root filesystem built without any key): the customised disk boots under OVMF and accepts the key injected
// offline, and the ESP is byte-identical. Not run by default (a boot costs CI minutes):
// set AMIKIT_CUSTOMIZE_BOOT=1.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianBootRootfsKernel, debianBootRootfsSkipReason, debianBootRootfsTar } from '../support/debian-boot-rootfs.js';
import { QemuGuest, makeSshKeyPair, qemuBootSkipReason } from '../support/qemu-boot.js';
import { guestBootFacts } from '../support/qemu-guest-facts.js';
import { REFERENCE_ROOT_PARTUUID, makeReferenceUefiDisk, referenceDiskSkipReason } from '../support/reference-uefi-disk.js';
import { runCli } from '../support/run-cli.js';
import { runOk, tempDir } from '../support/tools.js';

const enabled = process.env['AMIKIT_CUSTOMIZE_BOOT'] === '1';

describe('amikit customize on a bootable UEFI disk', () => {
  it('injects a key offline; the disk boots under OVMF and accepts it, ESP unchanged', async (ctx) => {
    if (!enabled) return ctx.skip('local check only: set AMIKIT_CUSTOMIZE_BOOT=1');
    const cannot = qemuBootSkipReason() ?? referenceDiskSkipReason();
    if (cannot) return ctx.skip(cannot);
    const tar = await debianBootRootfsTar();
    if (!tar) return ctx.skip(debianBootRootfsSkipReason());
    const { path: dir } = await tempDir('customize-boot');
    const key = await makeSshKeyPair(dir, 'id_root');
    const env = { SOURCE_DATE_EPOCH: '1747699200' };

    // The root filesystem carries no key: only the offline customisation can let us in.
    const rootFs = join(dir, 'root.ext4');
    const build = await runCli(['build', '--layer', tar, '--layout', 'fs', '--label', 'root', '--size', '2GiB', '--sysprep', '--seed', 'customize-boot', '-o', rootFs], env);
    expect(build.exitCode, build.stderr).toBe(0);
    const disk = join(dir, 'disk.img');
    await makeReferenceUefiDisk({ rootfsTar: tar, kernelVersion: debianBootRootfsKernel(), rootFsImage: rootFs, diskPath: disk, workDir: dir });

    const customized = join(dir, 'customized.img');
    const result = await runCli(['customize', disk, '-o', customized, '--sysprep', '--ssh-key', `root=${key.publicKeyPath}`, '--seed', 'customize-boot'], env);
    expect(result.exitCode, result.stderr).toBe(0);
    const sgdisk = await runOk('sgdisk', ['-v', customized]);
    expect(sgdisk.stdout + sgdisk.stderr).toMatch(/No problems found/);
    expect(sgdisk.stdout + sgdisk.stderr).not.toMatch(/caution|warning|error|invalid/i);
    const info = (await runOk('sgdisk', ['-i', '1', disk])).stdout;
    const first = Number(/First sector: (\d+)/.exec(info)![1]) * 512;
    const end = (Number(/Last sector: (\d+)/.exec(info)![1]) + 1) * 512;
    const esp = async (path: string): Promise<Buffer> => {
      const handle = await open(path, 'r');
      try {
        const bytes = Buffer.alloc(end - first);
        await handle.read(bytes, 0, bytes.length, first);
        return bytes;
      } finally {
        await handle.close();
      }
    };
    expect((await esp(customized)).equals(await esp(disk))).toBe(true);

    const guest = await QemuGuest.start({ diskPath: customized, workDir: dir });
    try {
      const sshMs = await guest.waitForSsh(key, { timeoutMs: 240_000 });
      const facts = await guestBootFacts(guest, key);
      console.log(`customized disk: SSH after ${(sshMs / 1000).toFixed(1)} s; ${facts.loaderInfo}; root ${facts.rootSource}`);
      expect(facts.efi).toBe(true);
      expect(facts.rootPartUuid).toBe(REFERENCE_ROOT_PARTUUID);
      expect(facts.failedUnits).toEqual([]);
      await guest.poweroff(key);
    } catch (error) {
      (error as Error).message += `\n${guest.diagnostics()}`;
      throw error;
    } finally {
      await guest.stop();
    }
  }, 600_000);
});
