// The boot oracle's negative test: a disk with nothing bootable on it is reported as not booting (from the
// serial console, well before the SSH time limit), and stopping the guest leaves no QEMU process behind.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QemuGuest, makeSshKeyPair, qemuBootSkipReason } from '../support/qemu-boot.js';
import { runOk, tempDir } from '../support/tools.js';

describe('QEMU boot harness', () => {
  it('fails fast on an unbootable disk, with the serial console attached, and leaves no QEMU running', async (ctx) => {
    const cannot = qemuBootSkipReason();
    if (cannot) return ctx.skip(cannot);
    const { path: dir } = await tempDir('qemu-harness');
    const key = await makeSshKeyPair(dir, 'id_test');
    const disk = join(dir, 'blank.img');
    await runOk('truncate', ['-s', '64M', disk]);

    const guest = await QemuGuest.start({ diskPath: disk, workDir: dir });
    const pid = guest.pid;
    try {
      expect(processExists(pid)).toBe(true);
      const started = Date.now();
      const error = await guest.waitForSsh(key, { timeoutMs: 240_000 }).then(
        () => undefined,
        (reason: unknown) => reason as Error,
      );
      expect(error?.message).toMatch(/cannot reach SSH: the firmware found no boot loader on the NVMe disk/);
      expect(error?.message).toMatch(/--- serial console/);
      expect(Date.now() - started).toBeLessThan(90_000);
    } finally {
      await guest.stop();
    }
    expect(guest.exited).toBe(true);
    expect(processExists(pid)).toBe(false);
  }, 300_000);
});

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
