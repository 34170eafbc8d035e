// Boots a disk image the way EC2 Nitro would, in QEMU without KVM: UEFI firmware (OVMF code read-only plus
// a private copy of its variables), the disk on an NVMe controller, DHCP on user networking with SSH
// forwarded from 127.0.0.1 only, the serial console in a log file; then reaches the guest over SSH.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findTool, run, runOk, toolSkipReason, type RunResult } from './tools.js';

/** Debian 12's ovmf package: the 4 MiB firmware without Secure Boot keys enrolled, and its variable store. */
export const OVMF_CODE_PATH = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS_PATH = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** Why a QEMU boot test must skip (a tool or the firmware is missing), else undefined. */
export function qemuBootSkipReason(): string | undefined {
  const tools = toolSkipReason('qemu-system-x86_64', 'ssh', 'ssh-keygen');
  if (tools) return tools;
  const firmware = [OVMF_CODE_PATH, OVMF_VARS_PATH].filter((path) => !existsSync(path));
  return firmware.length ? `needs ${firmware.join(', ')} (apt-get install ovmf)` : undefined;
}

export interface SshKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
}

/** A fresh ed25519 key pair without passphrase in `dir` (files NAME and NAME.pub). */
export async function makeSshKeyPair(dir: string, name: string): Promise<SshKeyPair> {
  const privateKeyPath = join(dir, name);
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `amikit-test-${name}`, '-f', privateKeyPath]);
  return { privateKeyPath, publicKeyPath: `${privateKeyPath}.pub` };
}

export interface QemuGuestOptions {
  /** Raw disk image attached as the only disk, on `-device nvme`; the guest writes to it. */
  diskPath: string;
  /** Where the variable store copy and the serial log go (a test temp dir). */
  workDir: string;
  memoryMiB?: number;
  cpus?: number;
}

const DEAD_ENDS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /Kernel panic - not syncing/, what: 'kernel panic' },
  { pattern: /Gave up waiting for root|^\(initramfs\) /m, what: 'the initramfs did not find the root filesystem (rescue shell)' },
  { pattern: /You are in emergency mode|Give root password for maintenance/, what: 'systemd emergency mode' },
  // OVMF tries the disk first; when that fails it goes on to PXE and HTTP boot for minutes.
  { pattern: /BdsDxe: failed to (load|start) Boot\d+ "[^"]*NVMe/, what: 'the firmware found no boot loader on the NVMe disk' },
  { pattern: /^Shell> /m, what: 'the firmware found nothing bootable (UEFI shell)' },
  // systemd-boot's own errors (it then waits at its menu).
  {
    pattern: /No loader found\. |Error (loading|preparing initrd|registering initrd|opening (entry )?root path)[^\n]*: |Failed to execute \S+ \(|systemd-boot assertion/,
    what: 'systemd-boot could not start the kernel',
  },
];

// Guests still running when the test process exits (a crashed worker) are killed then.
const liveGuests = new Set<QemuGuest>();
process.once('exit', () => {
  for (const guest of liveGuests) guest.killNow();
});

/**
 * One running QEMU guest. Start it with `QemuGuest.start`, always end with `stop()` (in `finally` or
 * afterAll): it sends SIGTERM to QEMU's PID, then SIGKILL if it is still there after a few seconds.
 */
export class QemuGuest {
  readonly serialLogPath: string;
  /** When QEMU was spawned (Date.now()), the reference for boot timings. */
  readonly startedAtMs: number;
  private stderrText = '';
  private exitDescription: string | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly sshPort: number,
    serialLogPath: string,
  ) {
    this.serialLogPath = serialLogPath;
    this.startedAtMs = Date.now();
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-8192);
    });
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitDescription = signal ? `killed by ${signal}` : `exited ${code}`;
        liveGuests.delete(this);
        resolve();
      });
    });
    liveGuests.add(this);
  }

  /**
   * Spawns QEMU on a free loopback port. QEMU keeps running in the background: the guest boots while
   * the caller polls with `waitForSsh`.
   */
  static async start(options: QemuGuestOptions): Promise<QemuGuest> {
    const qemu = findTool('qemu-system-x86_64');
    if (!qemu) throw new Error(`cannot boot: ${qemuBootSkipReason()}`);
    const varsPath = join(options.workDir, 'OVMF_VARS.fd');
    await copyFile(OVMF_VARS_PATH, varsPath);
    // Another process may take the port between our probe and QEMU's bind: then QEMU exits at once and
    // we try another one.
    for (let attempt = 1; ; attempt++) {
      const sshPort = await freeLoopbackPort();
      const serialLogPath = join(options.workDir, `serial-${attempt}.log`);
      const args = [
        '-nodefaults',
        '-no-user-config',
        '-display', 'none',
        '-machine', 'q35,accel=tcg',
        '-cpu', 'max',
        '-smp', String(options.cpus ?? 2),
        '-m', `${options.memoryMiB ?? 1536}M`,
        // A guest that panics or reboots ends QEMU instead of looping until the time limit.
        '-no-reboot',
        '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE_PATH}`,
        '-drive', `if=pflash,format=raw,unit=1,file=${varsPath}`,
        '-drive', `if=none,id=root,format=raw,cache=writeback,file=${options.diskPath}`,
        '-device', 'nvme,drive=root,serial=amikit-root',
        // restrict=on: the guest reaches nothing outside; only the SSH forward on 127.0.0.1 comes in.
        '-netdev', `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
        '-device', 'virtio-net-pci,netdev=net0',
        // Entropy for the kernel's RNG at first boot (ssh-keygen, machine-id) without waiting on jitter.
        '-device', 'virtio-rng-pci',
        '-serial', `file:${serialLogPath}`,
      ];
      const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (child.pid === undefined) {
        await new Promise((resolve) => child.once('error', resolve));
        throw new Error(`cannot start ${qemu}`);
      }
      const guest = new QemuGuest(child, child.pid, sshPort, serialLogPath);
      // A bad argument or a taken port shows within a second; a booting guest keeps QEMU running.
      await Promise.race([guest.exitPromise, sleep(1500)]);
      if (guest.exitDescription === undefined) return guest;
      if (attempt < 3 && /hostfwd|forwarding/i.test(guest.stderrText)) continue;
      throw new Error(`qemu-system-x86_64 ${guest.exitDescription} at start: ${guest.stderrText.trim()}`);
    }
  }

  /** True once QEMU has exited. */
  get exited(): boolean {
    return this.exitDescription !== undefined;
  }

  /** The last `lines` lines of the serial console (carriage returns and escape sequences removed). */
  serialTail(lines = 60): string {
    let text = '';
    try {
      text = readFileSync(this.serialLogPath, 'latin1');
    } catch {
      return '(no serial output)';
    }
    const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    return clean.split('\n').slice(-lines).join('\n');
  }

  /**
   * A state the boot cannot leave on its own, read from the serial console: a kernel panic, the
   * initramfs rescue shell, systemd's emergency mode, the firmware or systemd-boot failing to load
   * what comes next.
   * Checking for these fails a broken boot in seconds instead of at the SSH time limit.
   */
  deadEnd(): string | undefined {
    const text = this.serialTail(200);
    return DEAD_ENDS.find(({ pattern }) => pattern.test(text))?.what;
  }

  /** What to attach to a failure: QEMU's state, its stderr, and the end of the serial console. */
  diagnostics(lines = 60): string {
    const state = this.exitDescription ? `QEMU ${this.exitDescription}` : `QEMU still running (pid ${this.pid})`;
    const stderr = this.stderrText.trim() ? `\nQEMU stderr:\n${this.stderrText.trim()}` : '';
    return `${state}, ${Math.round((Date.now() - this.startedAtMs) / 1000)} s after start${stderr}\n--- serial console (last ${lines} lines) ---\n${this.serialTail(lines)}`;
  }

  /** Runs `command` in the guest as `user` over SSH with exactly the given key (no agent, no password). */
  ssh(key: SshKeyPair, command: string, options: { user?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return run('ssh', [...sshOptions(key, this.sshPort), `${options.user ?? 'root'}@127.0.0.1`, command], {
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
  }

  /**
   * Polls until `ssh … true` succeeds and returns the milliseconds since QEMU started.
   * @throws with the serial console tail when QEMU exits or `timeoutMs` passes first.
   */
  async waitForSsh(key: SshKeyPair, options: { user?: string; timeoutMs?: number } = {}): Promise<number> {
    const deadline = Date.now() + (options.timeoutMs ?? 240_000);
    let last = '';
    while (Date.now() < deadline) {
      if (this.exited) break;
      const dead = this.deadEnd();
      if (dead) throw new Error(`the guest cannot reach SSH: ${dead}\n${this.diagnostics()}`);
      try {
        const result = await this.ssh(key, 'true', { ...options, timeoutMs: Math.max(5_000, Math.min(30_000, deadline - Date.now())) });
        if (result.exitCode === 0) return Date.now() - this.startedAtMs;
        last = result.stderr.trim();
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(2_000);
    }
    throw new Error(`no SSH login on 127.0.0.1:${this.sshPort} (last ssh said: ${last || 'nothing'})\n${this.diagnostics()}`);
  }

  /**
   * Asks the guest to power off and waits for QEMU to exit, so the disk is consistent for host-side checks.
   * @throws when QEMU is still running after `timeoutMs` (it is then left to `stop()`).
   */
  async poweroff(key: SshKeyPair, timeoutMs = 120_000): Promise<number> {
    const start = Date.now();
    // The connection drops as the guest goes down: the exit code says nothing.
    await this.ssh(key, 'systemctl poweroff', { timeoutMs: 30_000 }).catch(() => undefined);
    await Promise.race([this.exitPromise, sleep(timeoutMs)]);
    if (!this.exited) throw new Error(`the guest did not power off within ${timeoutMs / 1000} s\n${this.diagnostics()}`);
    return Date.now() - start;
  }

  /** Stops QEMU by its PID: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    await Promise.race([this.exitPromise, sleep(graceMs)]);
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  /** Synchronous SIGKILL for process exit handlers. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** ssh arguments that use exactly `key`, trust any host key (each boot makes new ones) and never prompt. */
export function sshOptions(key: SshKeyPair, port: number): string[] {
  return [
    '-F', '/dev/null',
    '-p', String(port),
    '-i', key.privateKeyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'PreferredAuthentications=publickey',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-o', 'ConnectTimeout=20',
  ];
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}
