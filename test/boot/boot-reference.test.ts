// Local check of the boot harness and the boot fixture, independent of amikit's disk layout: amikit's
// ext4 root filesystem (--layout fs) inside a GPT + ESP disk assembled by sgdisk, mkfs.fat and mtools,
// booted under OVMF on NVMe and reached over SSH. Not run by default (a second boot costs CI minutes):
// set AMIKIT_REFERENCE_BOOT=1. When a --layout uefi boot fails, this tells whether the layout is at fault.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianBootRootfsKernel, debianBootRootfsSkipReason, debianBootRootfsTar } from '../support/debian-boot-rootfs.js';
import { QemuGuest, makeSshKeyPair, qemuBootSkipReason } from '../support/qemu-boot.js';
import { guestBootFacts } from '../support/qemu-guest-facts.js';
import { REFERENCE_ESP_PARTUUID, REFERENCE_ROOT_PARTUUID, makeReferenceUefiDisk, referenceDiskSkipReason } from '../support/reference-uefi-disk.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/tools.js';

const enabled = process.env['AMIKIT_REFERENCE_BOOT'] === '1';

describe('reference UEFI disk (sgdisk + mkfs.fat + amikit ext4) boots under OVMF on NVMe', () => {
  it('reaches SSH with the injected key and reports a UEFI + systemd-boot boot from the root partition', async (ctx) => {
    if (!enabled) return ctx.skip('local check only: set AMIKIT_REFERENCE_BOOT=1');
    const cannot = qemuBootSkipReason() ?? referenceDiskSkipReason();
    if (cannot) return ctx.skip(cannot);
    const tar = await debianBootRootfsTar();
    if (!tar) return ctx.skip(debianBootRootfsSkipReason());
    const { path: dir } = await tempDir('boot-reference');
    const key = await makeSshKeyPair(dir, 'id_root');

    const rootFs = join(dir, 'root.ext4');
    const build = await runCli(['build', '--layer', tar, '--layout', 'fs', '--label', 'root', '--size', '2GiB', '--sysprep', '--ssh-key', `root=${key.publicKeyPath}`, '--seed', 'reference', '-o', rootFs], { SOURCE_DATE_EPOCH: '1747699200' });
    expect(build.exitCode, build.stderr).toBe(0);
    const disk = join(dir, 'disk.img');
    await makeReferenceUefiDisk({ rootfsTar: tar, kernelVersion: debianBootRootfsKernel(), rootFsImage: rootFs, diskPath: disk, workDir: dir });

    const guest = await QemuGuest.start({ diskPath: disk, workDir: dir });
    try {
      const sshMs = await guest.waitForSsh(key, { timeoutMs: 240_000 });
      const facts = await guestBootFacts(guest, key);
      console.log(`reference disk: SSH after ${(sshMs / 1000).toFixed(1)} s; ${facts.loaderInfo}; root ${facts.rootSource} ${facts.rootOptions[0]}`);
      expect(facts.efi).toBe(true);
      expect(facts.loaderInfo).toMatch(/^systemd-boot /);
      expect(facts.loaderDevicePartUuid).toBe(REFERENCE_ESP_PARTUUID);
      expect(facts.rootPartUuid).toBe(REFERENCE_ROOT_PARTUUID);
      expect(facts.rootOptions[0]).toBe('rw');
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
