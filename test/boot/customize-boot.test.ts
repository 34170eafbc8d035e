// amikit customize on a bootable UEFI disk built by `amikit build --layout uefi` without any key: the
// customised disk boots under OVMF and accepts the key injected offline, and the ESP is byte-identical.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianBootRootfsSkipReason, debianBootRootfsTar } from '../support/debian-boot-rootfs.js';
import { QemuGuest, makeSshKeyPair, qemuBootSkipReason } from '../support/qemu-boot.js';
import { guestBootFacts } from '../support/qemu-guest-facts.js';
import { runCli } from '../support/run-cli.js';
import { runOk, tempDir } from '../support/tools.js';

describe('amikit customize on a bootable UEFI disk', () => {
  it('injects a key offline; the disk boots under OVMF and accepts it, ESP unchanged', async (ctx) => {
    const cannot = qemuBootSkipReason();
    if (cannot) return ctx.skip(cannot);
    const tar = await debianBootRootfsTar();
    if (!tar) return ctx.skip(debianBootRootfsSkipReason());
    const { path: dir } = await tempDir('customize-boot');
    const key = await makeSshKeyPair(dir, 'id_root');
    const env = { SOURCE_DATE_EPOCH: '1747699200' };

    // The disk carries no key: only the offline customisation can let us in.
    const disk = join(dir, 'disk.img');
    const build = await runCli(['build', '--layer', tar, '--layout', 'uefi', '--sysprep', '--seed', 'customize-boot', '--json', '-o', disk], env);
    expect(build.exitCode, build.stderr).toBe(0);
    const built = JSON.parse(build.stdout) as { disk: { partitions: Array<{ role: string; partUuid: string }> } };
    const rootPartUuid = built.disk.partitions.find((p) => p.role === 'root')!.partUuid;

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
      expect(facts.rootPartUuid).toBe(rootPartUuid);
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
