// e2fsprogs as test oracles: e2fsck in check-only and preen modes, the dumpe2fs superblock header and
// group table, and a loop mount (the kernel's own ext4 driver) that is always cleaned up.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { loopMountSkipReason, run, runOk, tempDir, toolSkipReason } from './tools.js';

export interface E2fsckResult {
  exitCode: number;
  /** stdout and stderr together, as a person running e2fsck would see them. */
  output: string;
  /**
   * check: exit 0 and nothing but the version banner, the five "Pass N:" headers and the summary line;
   * preen: exit 0 (nothing needed fixing).
   */
  clean: boolean;
}

// What a clean `e2fsck -fn` prints and nothing more.
const QUIET_LINES = [
  /^e2fsck \d+\.\d+/, // version banner (stderr)
  /^Pass [1-5]: /,
  /^\S.*: \d+\/\d+ files \([\d.]+% non-contiguous\), \d+\/\d+ blocks$/,
];

/**
 * Runs e2fsck forced over every inode. 'check' is `e2fsck -fn` (read-only, answers no); 'preen' is
 * `e2fsck -fp` on a sparse COPY of the image (preen repairs what it safely can), so the image under
 * test is never modified.
 * @throws when e2fsck is missing (skip first with `toolSkipReason('e2fsck')`).
 * @example expect((await e2fsck(image, 'check')).output).toBe(…) — or assert `.clean`.
 */
export async function e2fsck(image: string, mode: 'check' | 'preen'): Promise<E2fsckResult> {
  const reason = toolSkipReason('e2fsck', 'cp');
  if (reason) throw new Error(`e2fsck oracle ${reason}`);
  if (mode === 'check') {
    const result = await run('e2fsck', ['-fn', image]);
    const output = result.stdout + result.stderr;
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const passHeaders = lines.filter((line) => /^Pass [1-5]: /.test(line)).length;
    const quiet = lines.every((line) => QUIET_LINES.some((pattern) => pattern.test(line)));
    return { exitCode: result.exitCode, output, clean: result.exitCode === 0 && quiet && passHeaders === 5 };
  }
  const work = await tempDir('e2fsck-preen');
  try {
    const copy = join(work.path, 'image');
    await runOk('cp', ['--sparse=always', image, copy]);
    const result = await run('e2fsck', ['-fp', copy]);
    const output = (result.stdout + result.stderr).split(copy).join(image);
    return { exitCode: result.exitCode, output, clean: result.exitCode === 0 };
  } finally {
    await work.cleanup();
  }
}

/**
 * The reference image: `mke2fs -t ext4 -d sourceDir` with a fixed UUID and hash seed. Note what
 * mke2fs 1.47.0 -d loses: nanoseconds of every time, the epoch bits of times after 2038 (it keeps the
 * low 32 bits of seconds), and the root directory's mtime (it sets its own).
 */
export async function makeExt4FromDir(sourceDir: string, image: string, size = '64M'): Promise<void> {
  const reason = toolSkipReason('mke2fs');
  if (reason) throw new Error(`makeExt4FromDir ${reason}`);
  await runOk('mke2fs', [
    '-q',
    '-F',
    '-t',
    'ext4',
    '-U',
    '7e57da7a-0000-4000-8000-000000000001',
    '-E',
    'hash_seed=7e57da7a-0000-4000-8000-000000000002',
    '-d',
    sourceDir,
    image,
    size,
  ]);
}

export interface Dumpe2fsHeader {
  /** Every "Key: value" line of `dumpe2fs -h`, keys as printed ("Block size", "Inode count", …). */
  fields: Record<string, string>;
  /** "Filesystem features" split into names. */
  features: string[];
}

/** Parses `dumpe2fs -h` (superblock and journal header). */
export async function dumpe2fsHeader(image: string): Promise<Dumpe2fsHeader> {
  const reason = toolSkipReason('dumpe2fs');
  if (reason) throw new Error(`dumpe2fsHeader ${reason}`);
  const result = await runOk('dumpe2fs', ['-h', image]);
  const fields: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const match = /^([^:]+):\s*(.*?)\s*$/.exec(line);
    if (match) fields[match[1]!.trim()] = match[2]!;
  }
  const features = (fields['Filesystem features'] ?? '').split(/\s+/).filter(Boolean);
  return { fields, features };
}

export interface Dumpe2fsGroup {
  group: number;
  /** First and last block of the group's inode table. */
  inodeTableFirstBlock: number;
  inodeTableLastBlock: number;
}

/** The block group table of `dumpe2fs` (inode table locations, for targeted corruption). */
export async function dumpe2fsGroups(image: string): Promise<Dumpe2fsGroup[]> {
  const result = await runOk('dumpe2fs', [image]);
  const groups: Dumpe2fsGroup[] = [];
  let group = -1;
  for (const line of result.stdout.split('\n')) {
    const header = /^Group (\d+): /.exec(line);
    if (header) group = Number(header[1]);
    const table = /Inode table at (\d+)-(\d+)/.exec(line);
    if (table && group >= 0) {
      groups.push({ group, inodeTableFirstBlock: Number(table[1]), inodeTableLastBlock: Number(table[2]) });
    }
  }
  return groups;
}

/**
 * Byte offset of an inode's on-disk record in the image, from dumpe2fs alone
 * (group = (ino-1) / inodes per group; index within the group's inode table).
 */
export async function inodeOffsetBytes(image: string, inode: number): Promise<number> {
  const { fields } = await dumpe2fsHeader(image);
  const inodesPerGroup = Number(fields['Inodes per group']);
  const inodeSize = Number(fields['Inode size']);
  const blockSize = Number(fields['Block size']);
  const group = Math.floor((inode - 1) / inodesPerGroup);
  const table = (await dumpe2fsGroups(image)).find((g) => g.group === group);
  if (!table || !inodeSize || !blockSize) throw new Error(`cannot locate inode ${inode} of ${image} with dumpe2fs`);
  return table.inodeTableFirstBlock * blockSize + ((inode - 1) % inodesPerGroup) * inodeSize;
}

export interface LoopMount {
  /** The mount point (a fresh temp dir). */
  dir: string;
  /** Unmounts and removes the mount point; safe to call twice. */
  unmount(): Promise<void>;
}

// Mount points still mounted when the worker exits (a crashed test) are lazily unmounted then.
const liveMounts = new Set<string>();
process.once('exit', () => {
  for (const dir of liveMounts) spawnSync('umount', ['-l', dir]);
});

/**
 * Loop-mounts an image (the kernel's ext4 driver as an oracle). Inside a test the mount is undone
 * when the test finishes; elsewhere call `unmount` from afterAll.
 * @throws with the skip reason when loop mounts are not permitted: check `loopMountSkipReason()` first.
 */
export async function loopMount(image: string, options: { readOnly: boolean }): Promise<LoopMount> {
  const reason = await loopMountSkipReason();
  if (reason) throw new Error(`loopMount: ${reason}`);
  const dir = await mkdtemp(join(tmpdir(), 'amikit-mnt-'));
  const mounted = await run('mount', ['-t', 'ext4', '-o', options.readOnly ? 'ro,loop' : 'loop', image, dir]);
  if (mounted.exitCode !== 0) {
    await rmdir(dir);
    throw new Error(`cannot mount ${image}: ${mounted.stderr.trim()}`);
  }
  liveMounts.add(dir);
  let done = false;
  const unmount = async (): Promise<void> => {
    if (done) return;
    done = true;
    // mount set the loop device to auto-clear, so unmounting also detaches it.
    await runOk('umount', [dir]);
    liveMounts.delete(dir);
    // rmdir, never rm -r: if the unmount silently failed, the image's files must not be deleted.
    await rmdir(dir);
  };
  try {
    onTestFinished(unmount);
  } catch {
    // Not inside a test: the caller unmounts.
  }
  return { dir, unmount };
}

export { loopMountSkipReason };
