// Host-side views of a boot-test disk through independent tools: a GPT partition as sgdisk reports it,
// the verdict of `sgdisk -v`, the root partition's ext4 read by debugfs and checked by e2fsck; and
// whether the built CLI can make a --layout uefi disk at all.
import { join } from 'node:path';
import { e2fsck, type E2fsckResult } from './e2fsprogs.js';
import { run, runOk } from './tools.js';

export interface GptPartitionInfo {
  index: number;
  typeGuid: string;
  /** The partition's unique GUID (what Linux calls PARTUUID), lower case. */
  uniqueGuid: string;
  firstSector: number;
  lastSector: number;
  offsetBytes: number;
  sizeBytes: number;
}

/** Partition `index` of `disk` as `sgdisk -i` reads it. */
export async function gptPartition(disk: string, index: number): Promise<GptPartitionInfo> {
  const info = (await runOk('sgdisk', ['-i', String(index), disk])).stdout;
  const field = (label: string): string => {
    const match = new RegExp(`^${label}: (\\S+)`, 'm').exec(info);
    if (!match?.[1]) throw new Error(`sgdisk -i ${index} ${disk} printed no "${label}":\n${info}`);
    return match[1];
  };
  const firstSector = Number(field('First sector'));
  const lastSector = Number(field('Last sector'));
  return {
    index,
    typeGuid: field('Partition GUID code').toLowerCase(),
    uniqueGuid: field('Partition unique GUID').toLowerCase(),
    firstSector,
    lastSector,
    offsetBytes: firstSector * 512,
    sizeBytes: (lastSector - firstSector + 1) * 512,
  };
}

export interface SgdiskVerdict {
  /** "No problems found", and no problem or warning line. */
  clean: boolean;
  /** "Caution" paragraphs (advice such as end alignment; sgdisk still finds no problem). */
  cautions: string[];
  output: string;
}

/** `sgdisk -v`: its verdict, and the cautions it printed alongside. */
export async function sgdiskVerify(disk: string): Promise<SgdiskVerdict> {
  const result = await run('sgdisk', ['-v', disk]);
  const output = result.stdout + result.stderr;
  const paragraphs = output.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean);
  const cautions = paragraphs.filter((p) => /^caution/i.test(p));
  const troubled = paragraphs.some((p) => /^(problem|warning|error)/i.test(p) || /invalid|corrupt/i.test(p));
  return { clean: result.exitCode === 0 && /No problems found/.test(output) && !troubled, cautions, output };
}

/** e2fsck -fn (see e2fsprogs.ts) on a copy of the partition's byte range, so the device size is the partition's. */
export async function e2fsckPartition(disk: string, partition: GptPartitionInfo, workDir: string): Promise<E2fsckResult> {
  const copy = join(workDir, `partition-${partition.index}.img`);
  await runOk('dd', [`if=${disk}`, `of=${copy}`, 'bs=1M', `skip=${partition.offsetBytes}`, `count=${partition.sizeBytes}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none']);
  // A sparse copy ends in a hole that dd skipped: give the file the partition's full length.
  await runOk('truncate', ['-s', String(partition.sizeBytes), copy]);
  try {
    return await e2fsck(copy, 'check');
  } finally {
    await runOk('rm', ['-f', copy]);
  }
}

/** `debugfs -R REQUEST` on the ext4 inside `partition` of `disk` (read-only, e2fsprogs' offset= io option). */
export async function debugfsPartition(disk: string, partition: GptPartitionInfo, request: string): Promise<string> {
  const result = await runOk('debugfs', ['-R', request, `${disk}?offset=${partition.offsetBytes}`]);
  return result.stdout;
}

