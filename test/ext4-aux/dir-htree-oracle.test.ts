// Tool oracle for directory encoding: e2fsck -fD rebuilds htrees in mke2fs images; our dirHash must match
// debugfs `htree`, our blocks (with e2fsck's 20 % slack) must equal e2fsck's byte for byte, and our
// compact blocks patched into the image must pass e2fsck -fn (and fail it once corrupted).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDirBlocks, type DirBlocksOptions, type DirEntryInput } from '../../src/ext4/format/dir-blocks.js';
import { dirHash } from '../../src/ext4/format/dir-hash.js';
import { crc32c } from '../../src/kernels/crc32c.js';
import {
  debugfs,
  FIXED_HASH_SEED,
  FIXED_UUID,
  fileBlocks,
  fsckStatus,
  inodeFacts,
  missingTool,
  readBytes,
  readSuperblock,
  run,
  writeBytes,
} from './e2fs-tools.js';

const skipReason = missingTool('mke2fs', 'e2fsck', 'debugfs');

/** Linux file_type from the S_IFMT bits debugfs prints. */
function fileTypeOfMode(mode: number): number {
  const byFormat: Record<number, number> = { 0o10: 1, 0o04: 2, 0o02: 3, 0o06: 4, 0o01: 5, 0o14: 6, 0o12: 7 };
  return byFormat[mode >> 12] ?? 0;
}

/** Directory entries as debugfs lists them (`ls -p`: /inode/mode/uid/gid/name/size/). */
function listEntries(image: string, path: string): DirEntryInput[] {
  return debugfs(image, `ls -p ${path}`)
    .split('\n')
    .filter((line) => line.startsWith('/'))
    .map((line) => line.split('/'))
    // inode 0 lines are dx_node blocks' fake entries, which debugfs lists as empty names.
    .filter((fields) => fields[5] !== '.' && fields[5] !== '..' && fields[1] !== '0')
    .map((fields) => ({
      inode: Number(fields[1]),
      fileType: fileTypeOfMode(parseInt(fields[2]!, 8)),
      name: fields[5]!,
    }));
}

/** Names that exercise high-bit bytes (hash signedness) and several lengths. */
function entryName(i: number): string {
  const base = `entry-with-a-longer-name-${i}`;
  return i % 7 === 0 ? `${base}\xc3\xa9\xe2\x82\xac` : base;
}

interface Fixture {
  dir: string;
  image: string;
}

const BIG_DIR_ENTRIES = 100_000;
const LINK_TARGETS = 5;

/**
 * Hand-packs a linear directory (".", "..", then entries; each block ends in a csum tail) with its own
 * few lines of code, so the htree e2fsck builds from it owes nothing to the encoder under test.
 */
function packLinear(entries: DirEntryInput[], dirInode: number, parentInode: number, seed: number, bs: number): Buffer[] {
  const blocks: Buffer[] = [];
  let block = Buffer.alloc(bs);
  let offset = 0;
  let last = 0;
  const close = (): void => {
    block.writeUInt16LE(bs - 12 - last, last + 4);
    block.writeUInt16LE(12, bs - 8);
    block.writeUInt8(0xde, bs - 5);
    block.writeUInt32LE(crc32c(seed, block.subarray(0, bs - 12)), bs - 4);
    blocks.push(block);
    block = Buffer.alloc(bs);
    offset = 0;
  };
  const all = [{ name: '.', inode: dirInode, fileType: 2 }, { name: '..', inode: parentInode, fileType: 2 }, ...entries];
  for (const e of all) {
    const recLen = (8 + e.name.length + 3) & ~3;
    if (offset + recLen > bs - 12) close();
    block.writeUInt32LE(e.inode, offset);
    block.writeUInt16LE(recLen, offset + 4);
    block.writeUInt8(e.name.length, offset + 6);
    block.writeUInt8(e.fileType, offset + 7);
    block.write(e.name, offset + 8, 'latin1');
    last = offset;
    offset += recLen;
  }
  close();
  return blocks;
}

/**
 * An image with /d5k (5000 entries, made by mke2fs -d) and, unless `small`, /d100k: 100 000 hard links
 * to /t0../t4 written as a linear directory (mke2fs -d inserts names in O(n²), far too slow for 100k).
 * e2fsck -fyD then rebuilds every directory as an htree.
 */
function makeImage(root: string, label: string, unsignedHash: boolean, small: boolean): Fixture {
  const source = join(root, `${label}-src`);
  const dir = join(source, 'd5k');
  mkdirSync(dir, { recursive: true });
  const dirBytes = Buffer.from(dir);
  for (let i = 0; i < 5000; i++) {
    const path = Buffer.concat([dirBytes, Buffer.from('/'), Buffer.from(entryName(i), 'latin1')]);
    if (i % 1000 === 1) mkdirSync(path);
    else writeFileSync(path, '');
  }
  mkdirSync(join(source, 'd100k'));
  for (let t = 0; t < LINK_TARGETS; t++) writeFileSync(join(source, `t${t}`), '');
  const image = join(root, `${label}.img`);
  run('mke2fs', ['-q', '-t', 'ext4', '-b', '4096', '-N', '20000', '-O', 'metadata_csum,64bit', '-U', FIXED_UUID,
    '-E', `hash_seed=${FIXED_HASH_SEED}`, '-d', source, '-F', image, '256M']);
  rmSync(source, { recursive: true, force: true });
  if (unsignedHash) debugfs(image, 'ssv flags 2', true); // s_flags: EXT2_FLAGS_UNSIGNED_HASH
  if (!small) {
    const sb = readSuperblock(image);
    const targets = Array.from({ length: LINK_TARGETS }, (_, t) => inodeFacts(image, `/t${t}`).inode);
    const entries = Array.from({ length: BIG_DIR_ENTRIES }, (_, i) => ({ name: entryName(i), inode: targets[i % LINK_TARGETS]!, fileType: 1 }));
    const facts = inodeFacts(image, '/d100k');
    const words = Buffer.alloc(8);
    words.writeUInt32LE(facts.inode, 0);
    words.writeUInt32LE(facts.generation, 4);
    const blocks = packLinear(entries, facts.inode, 2, crc32c(sb.fsSeed, words), sb.blockSizeBytes);
    const script = join(root, `${label}-expand`);
    writeFileSync(script, 'expand_dir /d100k\n'.repeat(blocks.length - 1));
    run('debugfs', ['-w', '-f', script, image]);
    const physical = fileBlocks(image, '/d100k');
    expect(physical).toHaveLength(blocks.length);
    blocks.forEach((block, i) => writeBytes(image, physical[i]! * sb.blockSizeBytes, block));
  }
  run('e2fsck', ['-fyD', image], [0, 1]);
  expect(fsckStatus(image).output).toMatch(/clean|files/);
  expect(fsckStatus(image).status).toBe(0);
  return { dir: root, image };
}

function dirOptions(image: string, path: string, leafSlackPercent: number): DirBlocksOptions {
  const sb = readSuperblock(image);
  const facts = inodeFacts(image, path);
  const parent = Number(/\/(\d+)\//.exec(debugfs(image, `ls -p ${path}`).split('\n').find((l) => l.endsWith('/../') || l.includes('/../'))!)![1]);
  return {
    blockSizeBytes: sb.blockSizeBytes,
    dirInode: facts.inode,
    parentInode: parent,
    hashVersion: sb.hashVersion,
    hashSeed: sb.hashSeed,
    signedChars: sb.signedChars,
    checksum: { fsSeed: sb.fsSeed, inodeGeneration: facts.generation },
    leafSlackPercent,
  };
}

function imageDirBlocks(image: string, path: string): Buffer[] {
  const bs = readSuperblock(image).blockSizeBytes;
  return fileBlocks(image, path).map((block) => readBytes(image, block * bs, bs));
}

/** Hashes debugfs prints in `htree` leaf dumps: "inode 0xHASH-MINOR (rec_len) name". */
function debugfsHtreeHashes(image: string, path: string): Map<string, { hash: number; minorHash: number }> {
  const out = new Map<string, { hash: number; minorHash: number }>();
  const text = debugfs(image, `htree ${path}`);
  for (const match of text.matchAll(/(\d+) 0x([0-9a-f]+)-([0-9a-f]+) \((\d+)\) (\S+)/g)) {
    out.set(match[5]!, { hash: parseInt(match[2]!, 16), minorHash: parseInt(match[3]!, 16) });
  }
  return out;
}

describe.skipIf(skipReason !== undefined)(`directory blocks vs e2fsprogs ${skipReason ? `(skipped: ${skipReason})` : ''}`, () => {
  let root: string;
  let signedImage: Fixture;
  let unsignedImage: Fixture;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'amikit-htree-'));
    signedImage = makeImage(root, 'signed', false, false);
    unsignedImage = makeImage(root, 'unsigned', true, true);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  for (const [label, path] of [['signed', '/d5k'], ['signed', '/d100k'], ['unsigned', '/d5k']] as const) {
    it(`${label} ${path}: dirHash equals the hashes debugfs htree prints`, () => {
      const { image } = label === 'signed' ? signedImage : unsignedImage;
      const o = dirOptions(image, path, 20);
      expect(o.signedChars).toBe(label === 'signed');
      const printed = debugfsHtreeHashes(image, path);
      const entries = listEntries(image, path);
      expect(printed.size).toBe(entries.length);
      let checked = 0;
      for (const entry of entries) {
        const expected = printed.get(entry.name);
        expect(expected, entry.name).toBeDefined();
        expect(dirHash(entry.name, o.hashVersion, o.hashSeed, o.signedChars)).toEqual(expected);
        checked++;
      }
      expect(checked).toBe(path === '/d100k' ? 100_000 : 5000);
    });

    it(`${label} ${path}: blocks with 20 % leaf slack equal e2fsck -D's byte for byte`, () => {
      const { image } = label === 'signed' ? signedImage : unsignedImage;
      const o = dirOptions(image, path, 20);
      const entries = listEntries(image, path);
      const ours = buildDirBlocks(entries, o);
      const theirs = imageDirBlocks(image, path);
      expect(ours.indexed).toBe(true);
      expect(inodeFacts(image, path).flags & 0x1000).toBe(0x1000);
      expect(ours.blocks.length).toBe(theirs.length);
      if (path === '/d100k') expect(theirs[0]!.readUInt8(30)).toBe(1); // indirect_levels: dx_node level in use
      ours.blocks.forEach((block, i) => expect(block.equals(theirs[i]!), `logical block ${i}`).toBe(true));
    });
  }

  it('packed blocks patched over /d100k pass e2fsck -fn; a flipped byte fails it', () => {
    const { image } = signedImage;
    const path = '/d100k';
    const o = dirOptions(image, path, 0);
    const ours = buildDirBlocks(listEntries(image, path), o).blocks;
    const physical = fileBlocks(image, path);
    expect(ours.length).toBeLessThan(physical.length);
    // Drop the directory's tail blocks, shrink i_size, then write our blocks over the first ones.
    debugfs(image, `punch ${path} ${ours.length}`, true);
    debugfs(image, `sif ${path} size ${ours.length * o.blockSizeBytes}`, true);
    ours.forEach((block, i) => writeBytes(image, physical[i]! * o.blockSizeBytes, block));
    const clean = fsckStatus(image);
    expect(clean.output).not.toMatch(/Problem in HTREE|checksum does not match|Fix\?/i);
    expect(clean.status).toBe(0);
    expect(listEntries(image, path)).toHaveLength(100_000);
    // debugfs lookups go through the index of the patched directory.
    expect(debugfs(image, `stat ${path}/entry-with-a-longer-name-99998`)).toMatch(/Type: regular/);

    const leaf = Buffer.from(ours[5]!);
    leaf.writeUInt8(leaf.readUInt8(10) ^ 0x01, 10); // a name byte in a leaf
    writeBytes(image, physical[5]! * o.blockSizeBytes, leaf);
    expect(fsckStatus(image).status).not.toBe(0);
    writeBytes(image, physical[5]! * o.blockSizeBytes, ours[5]!);
    expect(fsckStatus(image).status).toBe(0);
    const rootBlock = Buffer.from(ours[0]!);
    rootBlock.writeUInt8(rootBlock.readUInt8(44) ^ 0x10, 44); // a dx_entry hash in the root
    writeBytes(image, physical[0]! * o.blockSizeBytes, rootBlock);
    expect(fsckStatus(image).status).not.toBe(0);
  });

  it("lost+found equals mke2fs's pre-sized 4-block linear directory", () => {
    const { image } = signedImage;
    const o = dirOptions(image, '/lost+found', 0);
    const theirs = imageDirBlocks(image, '/lost+found');
    const ours = buildDirBlocks([], { ...o, minBlocks: theirs.length });
    expect(ours.indexed).toBe(false);
    expect(theirs).toHaveLength(4);
    ours.blocks.forEach((block, i) => expect(block.equals(theirs[i]!), `logical block ${i}`).toBe(true));
  });
});
