// Helpers for tool-oracle tests of the ext4 encoders: run e2fsprogs, make fixed-UUID images, read
// superblock fields and a file's blocks back (e2fsprogs is the reference, kernel ext4 docs the spec).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32c } from '../../src/kernels/crc32c.js';
import type { DirHashVersion } from '../../src/ext4/format/dir-hash.js';

export const FIXED_UUID = '6f1c1a2e-3b4d-4c5e-8f60-718293a4b5c6';
export const FIXED_HASH_SEED = '0b1c2d3e-4f50-4162-8374-95a6b7c8d9ea';
/** mke2fs/e2fsck/debugfs read this instead of the clock, so images do not depend on when tests run. */
export const TOOL_ENV = { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000', LC_ALL: 'C' };

/** A reason to skip when one of `tools` is missing, or undefined when all run. */
export function missingTool(...tools: string[]): string | undefined {
  for (const tool of tools) {
    const probe = spawnSync(tool, tool === 'mke2fs' || tool === 'e2fsck' || tool === 'debugfs' ? ['-V'] : ['--version']);
    if (probe.error) return `${tool} is not installed`;
  }
  return undefined;
}

export function run(command: string, args: string[], okCodes: number[] = [0]): SpawnSyncReturns<Buffer> {
  const result = spawnSync(command, args, { env: TOOL_ENV, maxBuffer: 512 << 20 });
  if (result.error) throw result.error;
  if (!okCodes.includes(result.status ?? -1)) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}${result.stdout.toString()}`);
  }
  return result;
}

/** debugfs -R request output (stdout only). */
export function debugfs(image: string, request: string, writable = false): string {
  return run('debugfs', [...(writable ? ['-w'] : []), '-R', request, image]).stdout.toString('latin1');
}

/** e2fsck -fn exit status: 0 clean, 4 uncorrected errors, 8 operational error. */
export function fsckStatus(image: string): { status: number; output: string } {
  const result = spawnSync('e2fsck', ['-fn', image], { env: TOOL_ENV, maxBuffer: 64 << 20 });
  return { status: result.status ?? -1, output: result.stdout.toString() + result.stderr.toString() };
}

export function readBytes(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const out = Buffer.alloc(length);
    readSync(fd, out, 0, length, offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

export function writeBytes(path: string, offset: number, data: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

export interface SuperblockFacts {
  blockSizeBytes: number;
  uuid: Buffer;
  fsSeed: number;
  hashSeed: number[];
  hashVersion: DirHashVersion;
  signedChars: boolean;
  inodeSizeBytes: number;
}

export function readSuperblock(image: string): SuperblockFacts {
  const sb = readBytes(image, 1024, 1024);
  const uuid = sb.subarray(0x68, 0x78); // s_uuid
  const flags = sb.readUInt32LE(0x160); // s_flags: 1 signed hash, 2 unsigned hash
  const featureIncompat = sb.readUInt32LE(0x60);
  const csumSeedFeature = (featureIncompat & 0x2000) !== 0; // INCOMPAT_CSUM_SEED
  return {
    blockSizeBytes: 1024 << sb.readUInt32LE(0x18), // s_log_block_size
    uuid: Buffer.from(uuid),
    fsSeed: csumSeedFeature ? sb.readUInt32LE(0x270) : crc32c(~0 >>> 0, uuid),
    hashSeed: [0, 4, 8, 12].map((o) => sb.readUInt32LE(0xec + o)), // s_hash_seed
    hashVersion: (['legacy', 'half_md4', 'tea'] as const)[sb.readUInt8(0xfc)]!, // s_def_hash_version
    signedChars: (flags & 2) === 0,
    inodeSizeBytes: sb.readUInt16LE(0x58),
  };
}

/**
 * Physical block numbers of a file's data, in logical order, from the EXTENTS list of debugfs `stat`
 * (`blocks` would also list extent-tree index blocks, "(ETB0):n", which are not file data).
 */
export function fileBlocks(image: string, path: string): number[] {
  const stat = debugfs(image, `stat ${path}`);
  const extents = stat.slice(stat.indexOf('EXTENTS:'));
  const out: number[] = [];
  for (const match of extents.matchAll(/\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?/g)) {
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    const start = Number(match[3]);
    for (let lblk = first; lblk <= last; lblk++) out[lblk] = start + (lblk - first);
  }
  if (out.some((b) => b === undefined) || out.length === 0) throw new Error(`holes or no extents in ${path}: ${extents}`);
  return out;
}

export function inodeFacts(image: string, path: string): { inode: number; generation: number; flags: number; fileAcl: number } {
  const stat = debugfs(image, `stat ${path}`);
  const inode = /Inode: (\d+)/.exec(stat);
  const generation = /Generation: (\d+)/.exec(stat);
  const flags = /Flags: 0x([0-9a-f]+)/.exec(stat);
  const fileAcl = /File ACL: (\d+)/.exec(stat);
  if (!inode || !generation || !flags || !fileAcl) throw new Error(`cannot parse debugfs stat of ${path}: ${stat}`);
  return { inode: Number(inode[1]), generation: Number(generation[1]), flags: parseInt(flags[1]!, 16), fileAcl: Number(fileAcl[1]) };
}

/** Raw inode bytes (debugfs `imap` gives the location). */
export function readInode(image: string, inode: number): Buffer {
  const imap = debugfs(image, `imap <${inode}>`);
  const match = /located at block (\d+), offset 0x([0-9a-f]+)/.exec(imap);
  if (!match) throw new Error(`cannot parse imap: ${imap}`);
  const sb = readSuperblock(image);
  return readBytes(image, Number(match[1]) * sb.blockSizeBytes + parseInt(match[2]!, 16), sb.inodeSizeBytes);
}
