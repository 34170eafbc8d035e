// Issue 5 acceptance: a disk from `amikit build --layout uefi --sysprep --ssh-key` boots in QEMU the way EC2
// Nitro would (OVMF, NVMe) and is reached over SSH with the injected key; the guest then shows it was
// started by UEFI through systemd-boot, runs from amikit's root partition read-write, and made its own
// machine-id and SSH host keys at this boot.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianBootRootfsSkipReason, debianBootRootfsTar } from '../support/debian-boot-rootfs.js';
import { QemuGuest, makeSshKeyPair, qemuBootSkipReason } from '../support/qemu-boot.js';
import { debugfsPartition, gptPartition, sgdiskVerify } from '../support/qemu-boot-disk.js';
import { guestBootFacts } from '../support/qemu-guest-facts.js';
import { runCli } from '../support/run-cli.js';
import { run, runOk, tempDir, toolSkipReason } from '../support/tools.js';

const ESP_TYPE_GUID = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const ROOT_X86_64_TYPE_GUID = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';
const SSH_TIMEOUT_MS = 300_000;

describe('amikit build --layout uefi boots under OVMF on NVMe', () => {
  it('is reached over SSH with the injected key only, booted by UEFI and systemd-boot from its root partition, with fresh machine-id and host keys', async (ctx) => {
    const cannot = qemuBootSkipReason() ?? toolSkipReason('sgdisk', 'debugfs', 'tar', 'dd');
    if (cannot) return ctx.skip(cannot);
    const tar = await debianBootRootfsTar();
    if (!tar) return ctx.skip(debianBootRootfsSkipReason());
    const { path: dir } = await tempDir('boot-uefi');
    const key = await makeSshKeyPair(dir, 'id_injected');
    const strangerKey = await makeSshKeyPair(dir, 'id_stranger');

    const disk = join(dir, 'disk.img');
    const buildStart = Date.now();
    const build = await runCli(['build', '--layer', tar, '--layout', 'uefi', '--sysprep', '--ssh-key', `root=${key.publicKeyPath}`, '--seed', 'boot-uefi', '--json', '-o', disk], { SOURCE_DATE_EPOCH: '1747699200' });
    expect(build.exitCode, build.stderr).toBe(0);
    const buildMs = Date.now() - buildStart;
    const reported = JSON.parse(build.stdout) as unknown;
    const reportedUuids = reportedPartUuids(reported);

    // The disk as independent tools read it: a valid GPT whose partitions are the ones --json names.
    const gpt = await sgdiskVerify(disk);
    expect(gpt.clean, gpt.output).toBe(true);
    const esp = await gptPartition(disk, 1);
    const root = await gptPartition(disk, 2);
    expect(esp.typeGuid).toBe(ESP_TYPE_GUID);
    expect(root.typeGuid).toBe(ROOT_X86_64_TYPE_GUID);
    expect(reportedUuids).toEqual({ esp: esp.uniqueGuid, root: root.uniqueGuid });

    // What the image holds before its first boot: no machine-id and no SSH host keys (the fixture had
    // both: sysprep removed them), and the injected key in root's authorized_keys.
    const tarMachineId = (await runOk('tar', ['-xOf', tar, './etc/machine-id'])).stdout.trim();
    expect(tarMachineId).toMatch(/^[0-9a-f]{32}$/);
    const tarHostKeyPubs = (await runOk('tar', ['-tf', tar])).stdout.split('\n').filter((name) => /^\.\/etc\/ssh\/ssh_host_\w+_key\.pub$/.test(name));
    expect(tarHostKeyPubs.length).toBeGreaterThan(0);
    const tarFingerprints = await fingerprintsFromTar(tar, tarHostKeyPubs, dir);
    expect(await debugfsPartition(disk, root, 'cat /etc/machine-id')).toBe('');
    const imageSsh = await debugfsPartition(disk, root, 'ls /etc/ssh');
    expect(imageSsh).not.toMatch(/ssh_host_/);
    expect(imageSsh).toMatch(/sshd_config/); // the listing itself worked
    const injected = (await readFile(key.publicKeyPath, 'utf8')).trim();
    expect(await debugfsPartition(disk, root, 'cat /root/.ssh/authorized_keys')).toContain(injected);

    const guest = await QemuGuest.start({ diskPath: disk, workDir: dir });
    try {
      const sshMs = await guest.waitForSsh(key, { timeoutMs: SSH_TIMEOUT_MS });
      // Login is by the injected key: the same guest refuses a key amikit was not given.
      const stranger = await guest.ssh(strangerKey, 'true', { timeoutMs: 60_000 });
      expect(stranger.exitCode, stranger.stderr).toBe(255);
      expect(stranger.stderr).toMatch(/Permission denied \(publickey/);

      const facts = await guestBootFacts(guest, key);
      const analyze = (await guest.ssh(key, 'systemd-analyze time 2>&1 | head -n 1')).stdout.trim();
      console.log(`boot-uefi: build ${(buildMs / 1000).toFixed(1)} s; SSH ${(sshMs / 1000).toFixed(1)} s after QEMU start; guest: ${analyze}`);

      // Started by UEFI firmware, through systemd-boot, from amikit's ESP.
      expect(facts.efi).toBe(true);
      expect(facts.loaderInfo).toMatch(/^systemd-boot \d+/);
      expect(facts.bootctlStatus).toMatch(/Firmware: UEFI/);
      expect(facts.bootctlStatus).toMatch(/Product: systemd-boot \d+/);
      expect(facts.loaderDevicePartUuid).toBe(esp.uniqueGuid);
      expect(facts.loaderEntrySelected).toBeTruthy();

      // Root is amikit's root partition, found by PARTUUID, mounted read-write.
      expect(facts.rootSource).toMatch(/^\/dev\/nvme0n1p2$/);
      expect(facts.rootFsType).toBe('ext4');
      expect(facts.rootOptions[0]).toBe('rw');
      expect(facts.rootPartUuid).toBe(root.uniqueGuid);
      expect(facts.cmdline).toContain(`root=PARTUUID=${root.uniqueGuid}`);
      expect(facts.failedUnits, guest.serialTail(80)).toEqual([]);

      // machine-id: written to the file (not a transient overmount) at this boot, and not the fixture's.
      expect(facts.machineId).toMatch(/^[0-9a-f]{32}$/);
      expect(facts.machineId).not.toBe(tarMachineId);
      expect(facts.machineIdMount).toBe('');
      expect(facts.machineIdMtimeSec).toBeGreaterThanOrEqual(facts.bootTimeSec);

      // SSH host keys: created at this boot, none of them the fixture's.
      expect(facts.hostKeys.length).toBeGreaterThanOrEqual(1);
      for (const hostKey of facts.hostKeys) {
        expect(hostKey.mtimeSec, hostKey.path).toBeGreaterThanOrEqual(facts.bootTimeSec);
        expect(tarFingerprints, hostKey.path).not.toContain(hostKey.fingerprint);
      }

      const poweroffMs = await guest.poweroff(key);
      console.log(`boot-uefi: powered off in ${(poweroffMs / 1000).toFixed(1)} s`);
    } catch (error) {
      (error as Error).message += `\n${guest.diagnostics()}`;
      throw error;
    } finally {
      await guest.stop();
    }
  }, 900_000);
});

/** The ESP's and the root partition's PARTUUIDs as `amikit build --json` reports them. */
function reportedPartUuids(result: unknown): { esp: string; root: string } {
  const partitions = (result as { disk?: { partitions?: { role?: string; partUuid?: string }[] } }).disk?.partitions ?? [];
  const find = (role: string): string => {
    const uuid = partitions.find((p) => p.role === role)?.partUuid;
    if (!uuid) throw new Error(`amikit build --json reports no ${role} partition PARTUUID: ${JSON.stringify(result)}`);
    return uuid.toLowerCase();
  };
  return { esp: find('esp'), root: find('root') };
}

/** SHA-256 fingerprints (as `ssh-keygen -l` prints them) of the host public keys in the fixture tar. */
async function fingerprintsFromTar(tar: string, members: string[], dir: string): Promise<string[]> {
  await runOk('mkdir', ['-p', join(dir, 'tar-keys')]);
  await runOk('tar', ['-xf', tar, '-C', join(dir, 'tar-keys'), ...members]);
  const fingerprints: string[] = [];
  for (const member of members) {
    const out = await run('ssh-keygen', ['-lf', join(dir, 'tar-keys', member)], { check: true });
    fingerprints.push(out.stdout.split(' ')[1] ?? '');
  }
  return fingerprints;
}
