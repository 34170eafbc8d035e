// Test-side access to external tools: find them (sbin included), explain how to install a missing one,
// run them without a shell, probe root and loop-mount rights, make self-cleaning temp dirs and
// deterministic pattern bytes for large inputs.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Debian package providing each tool the tests use, for skip reasons ("apt-get install …"). */
const PACKAGE_OF_TOOL: Readonly<Record<string, string>> = {
  debugfs: 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  mke2fs: 'e2fsprogs',
  'mkfs.ext4': 'e2fsprogs',
  dumpe2fs: 'e2fsprogs',
  tune2fs: 'e2fsprogs',
  resize2fs: 'e2fsprogs',
  tar: 'tar',
  zstd: 'zstd',
  gzip: 'gzip',
  getfattr: 'attr',
  setfattr: 'attr',
  getfacl: 'acl',
  setfacl: 'acl',
  fakeroot: 'fakeroot',
  debootstrap: 'debootstrap',
  sgdisk: 'gdisk',
  'mkfs.vfat': 'dosfstools',
  'fsck.vfat': 'dosfstools',
  mcopy: 'mtools',
  mdir: 'mtools',
  losetup: 'mount',
  mount: 'mount',
  umount: 'mount',
  sfdisk: 'fdisk',
  'qemu-system-x86_64': 'qemu-system-x86',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  python3: 'python3',
  mkfifo: 'coreutils',
  mknod: 'coreutils',
};

// Non-root shells often lack the sbin directories, where e2fsprogs and losetup live.
const EXTRA_SEARCH_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const toolPathCache = new Map<string, string | undefined>();

/** The absolute path of an executable found on PATH (or in the sbin directories), else undefined. */
export function findTool(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  if (toolPathCache.has(name)) return toolPathCache.get(name);
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...EXTRA_SEARCH_DIRS];
  const found = dirs.map((dir) => join(dir, name)).find(isExecutable);
  toolPathCache.set(name, found);
  return found;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when the executable `name` is installed. Synchronous so it can feed `it.skipIf`. */
export function hasTool(name: string): boolean {
  return findTool(name) !== undefined;
}

/**
 * Why a test needing these tools must skip, or undefined when all are present.
 * @example it.skipIf(toolSkipReason('debugfs'))(…) — or `ctx.skip(reason)` inside the test.
 * @returns e.g. "needs debugfs, getfattr (apt-get install e2fsprogs attr)"
 */
export function toolSkipReason(...names: string[]): string | undefined {
  const missing = names.filter((name) => !hasTool(name));
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map((name) => PACKAGE_OF_TOOL[name] ?? name))];
  return `needs ${missing.join(', ')} (apt-get install ${packages.join(' ')})`;
}

export interface RunOptions {
  cwd?: string;
  /** Added to (not replacing) the inherited environment. */
  env?: Record<string, string>;
  /** Bytes written to the child's stdin; stdin is closed (never inherited) either way. */
  input?: string | Buffer;
  /** Throw when the exit code is not 0 (default false: callers that judge exit codes get the result). */
  check?: boolean;
  /** Kill the child (SIGKILL) after this long and fail; default none. */
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  /** The signal that ended the child, if any (exitCode is then -1). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  stderrBytes: Buffer;
  /** "cmd arg …" for messages. */
  commandLine: string;
}

/**
 * Runs a program directly (no shell, so arguments need no quoting) and captures its output.
 * @throws when the program cannot be started, times out, or (with `check`) exits non-zero.
 */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const resolved = findTool(cmd) ?? cmd;
  const commandLine = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(resolved, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${commandLine}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      const stderrBytes = Buffer.concat(err);
      const result: RunResult = {
        exitCode: code ?? -1,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: stderrBytes.toString('utf8'),
        stdoutBytes,
        stderrBytes,
        commandLine,
      };
      if (timedOut) reject(new Error(`${commandLine} timed out after ${options.timeoutMs} ms`));
      else if (options.check && result.exitCode !== 0) {
        reject(new Error(`${commandLine} exited ${signal ?? result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`));
      } else resolve(result);
    });
    // A child that exits without reading stdin makes the write fail with EPIPE: that is not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** `run` with `check: true`: resolves only when the program exits 0. */
export function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(cmd, args, { ...options, check: true });
}

/** True when the tests run as root (needed for chown, mknod, loop mounts, tar --same-owner). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Why a root-only test must skip, or undefined as root. */
export function rootSkipReason(what = 'this test'): string | undefined {
  return isRoot() ? undefined : `${what} needs root (run the suite as root, as CI does)`;
}

let loopMountProbe: Promise<string | undefined> | undefined;

/**
 * Whether this machine lets us loop-mount an ext4 image: actually tries it once (mke2fs a tiny image,
 * `mount -o ro,loop`, unmount) and caches the answer for the process.
 */
export async function canLoopMount(): Promise<boolean> {
  return (await loopMountSkipReason()) === undefined;
}

/** Why a loop-mount test must skip (not root, tools missing, or the kernel refused), else undefined. */
export function loopMountSkipReason(): Promise<string | undefined> {
  loopMountProbe ??= probeLoopMount();
  return loopMountProbe;
}

async function probeLoopMount(): Promise<string | undefined> {
  const missing = rootSkipReason('loop mounting') ?? toolSkipReason('mke2fs', 'mount', 'umount', 'losetup');
  if (missing) return missing;
  const dir = await mkdtemp(join(tmpdir(), 'amikit-loop-probe-'));
  try {
    const image = join(dir, 'probe.img');
    const mountDir = join(dir, 'mnt');
    await mkdir(mountDir);
    await writeFile(image, Buffer.alloc(0));
    await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', '-O', '^has_journal', image, '1M']);
    const mounted = await run('mount', ['-o', 'ro,loop', image, mountDir]);
    if (mounted.exitCode !== 0) return `loop mount not permitted here: ${mounted.stderr.trim()}`;
    await runOk('umount', [mountDir]);
    return undefined;
  } catch (error) {
    return `loop mount probe failed: ${(error as Error).message}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface TempDir {
  path: string;
  /** Removes the directory and everything below it; safe to call twice. */
  cleanup(): Promise<void>;
}

// Directories not yet cleaned when the worker exits (a crashed test) are removed then, best effort.
const liveTempDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh directory under os.tmpdir(). Inside a running test it is removed when the test finishes;
 * elsewhere (beforeAll) call `cleanup` from afterAll.
 * @example const { path } = await tempDir('ext4-writer');
 */
export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `amikit-${prefix}-`));
  liveTempDirs.add(path);
  const cleanup = async (): Promise<void> => {
    liveTempDirs.delete(path);
    await rm(path, { recursive: true, force: true });
  };
  try {
    onTestFinished(cleanup);
  } catch {
    // Not inside a test (a hook or module scope): the caller owns the cleanup.
  }
  return { path, cleanup };
}

/**
 * Deterministic pseudo-random bytes [offsetBytes, offsetBytes + length) of the endless stream named by
 * `seed`. Any slice can be computed alone, so a 4 GiB input can be produced chunk by chunk and still
 * equal the one-shot result. Not cryptographic; every 4 KiB block is non-zero in practice, so sparse
 * detection never mistakes pattern data for a hole.
 * @example patternBytes('big-file', 512 * 1024 + 1)
 */
export function patternBytes(seed: number | string, length: number, offsetBytes = 0): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad pattern length ${length}`);
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0) throw new RangeError(`bad pattern offset ${offsetBytes}`);
  const seedWord = typeof seed === 'number' ? seed >>> 0 : hashSeed(seed);
  const firstWord = Math.floor(offsetBytes / 4);
  const skip = offsetBytes - firstWord * 4;
  const words = Math.ceil((skip + length) / 4);
  const out = Buffer.allocUnsafe(words * 4);
  for (let i = 0; i < words; i++) out.writeUInt32LE(mixWord(seedWord, firstWord + i), i * 4);
  return out.subarray(skip, skip + length);
}

/** The same stream as `patternBytes`, yielded in chunks of `chunkBytes` (for multi-GiB inputs). */
export function* patternChunks(seed: number | string, length: number, chunkBytes = 1024 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < length; offset += chunkBytes) {
    yield patternBytes(seed, Math.min(chunkBytes, length - offset), offset);
  }
}

// FNV-1a: turns a readable seed name into 32 bits.
function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

// A counter-based mixer (murmur3's finaliser over seed and word index): word i depends only on (seed, i).
function mixWord(seed: number, index: number): number {
  let x = (seed ^ Math.imul(index >>> 0, 0x9e3779b9) ^ Math.imul(Math.floor(index / 2 ** 32), 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
