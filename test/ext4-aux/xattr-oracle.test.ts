// Tool oracle for xattr layout: files labelled with setfattr/setfacl are copied by mke2fs -d; the entries
// it writes (in-inode area and xattr block) must equal layoutXattrs', and sealXattrBlock its checksum.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutXattrs, sealXattrBlock } from '../../src/ext4/format/xattr.js';
import {
  FIXED_HASH_SEED,
  FIXED_UUID,
  fsckStatus,
  inodeFacts,
  missingTool,
  readBytes,
  readInode,
  readSuperblock,
  run,
  writeBytes,
} from './e2fs-tools.js';

const skipReason = missingTool('mke2fs', 'e2fsck', 'debugfs', 'setfattr', 'getfattr', 'setfacl');

interface Entry {
  nameIndex: number;
  name: string;
  value: string; // hex
  hash: number;
}

/** Entries of an xattr area, in stored order (independent decoder). */
function decodeEntries(area: Buffer, entriesStart: number, base: number): Entry[] {
  const out: Entry[] = [];
  for (let at = entriesStart; area.readUInt32LE(at) !== 0; ) {
    const nameLength = area.readUInt8(at);
    const offs = area.readUInt16LE(at + 2);
    const size = area.readUInt32LE(at + 8);
    out.push({
      nameIndex: area.readUInt8(at + 1),
      name: area.subarray(at + 16, at + 16 + nameLength).toString('latin1'),
      value: area.subarray(base + offs, base + offs + size).toString('hex'),
      hash: area.readUInt32LE(at + 12),
    });
    at += (16 + nameLength + 3) & ~3;
  }
  return out;
}

const byName = (a: Entry, b: Entry): number => a.nameIndex - b.nameIndex || a.name.localeCompare(b.name);

/** All xattrs of a host file in VFS form, in listxattr order (what mke2fs -d copies). */
function hostXattrs(path: string): Map<string, Buffer> {
  const out = spawnSync('getfattr', ['--absolute-names', '-d', '-m', '-', '-e', 'hex', path]).stdout.toString();
  const map = new Map<string, Buffer>();
  for (const line of out.split('\n')) {
    const match = /^([^#=][^=]*)=0x([0-9a-f]*)$/.exec(line);
    if (match) map.set(match[1]!, Buffer.from(match[2]!, 'hex'));
  }
  return map;
}

function sh(command: string, ...args: string[]): void {
  const result = spawnSync(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr.toString()}`);
}

const CASES = ['small', 'acl', 'big', 'mixed', 'aclDir', 'many'] as const;

describe.skipIf(skipReason !== undefined)(`xattr layout vs mke2fs -d ${skipReason ? `(skipped: ${skipReason})` : ''}`, () => {
  let root: string;
  let image: string;
  const hostMaps = new Map<string, Map<string, Buffer>>();

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'amikit-xattr-'));
    const source = join(root, 'src');
    mkdirSync(source);
    const f = (name: string): string => join(source, name);
    for (const name of CASES) if (name !== 'aclDir') writeFileSync(f(name), name);
    mkdirSync(f('aclDir'));
    sh('setfattr', '-n', 'user.a', '-v', 'hello', f('small'));
    sh('setfacl', '-m', 'u:1000:r-x,g:50:rw-', f('acl'));
    sh('setfattr', '-n', 'user.big', '-v', `0x${'ab'.repeat(300)}`, f('big'));
    sh('setfattr', '-n', 'user.big2', '-v', `0x${'cd'.repeat(200)}`, f('big'));
    sh('setfattr', '-n', 'security.label', '-v', `0x${'ef'.repeat(1000)}`, f('big'));
    sh('setfattr', '-n', 'user.small', '-v', 'x', f('mixed'));
    sh('setfattr', '-n', 'trusted.big', '-v', `0x${'12'.repeat(500)}`, f('mixed'));
    sh('setfattr', '-n', 'security.test', '-v', 'system_u:object_r:etc_t:s0', f('mixed'));
    sh('setfacl', '-d', '-m', 'u:1000:rwx', f('aclDir'));
    for (let i = 0; i < 12; i++) sh('setfattr', '-n', `user.attr${String(i).padStart(2, '0')}`, '-v', `value-${i}-${'z'.repeat(i * 7)}`, f('many'));
    for (const name of CASES) hostMaps.set(name, hostXattrs(f(name)));
    image = join(root, 'fs.img');
    run('mke2fs', ['-q', '-t', 'ext4', '-b', '4096', '-I', '256', '-O', 'metadata_csum,64bit', '-U', FIXED_UUID,
      '-E', `hash_seed=${FIXED_HASH_SEED}`, '-d', source, '-F', image, '64M']);
    expect(fsckStatus(image).status).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  for (const name of CASES) {
    it(`${name}: same entries inline and in the block; same block bytes and checksum`, () => {
      const sb = readSuperblock(image);
      const facts = inodeFacts(image, `/${name}`);
      const raw = readInode(image, facts.inode);
      const extraIsize = raw.readUInt16LE(0x80); // i_extra_isize
      const inlineSpaceBytes = sb.inodeSizeBytes - 128 - extraIsize;
      const host = hostMaps.get(name)!;
      expect(host.size).toBeGreaterThan(0);
      const ours = layoutXattrs(host, { inlineSpaceBytes, blockSizeBytes: sb.blockSizeBytes });

      const theirInline = raw.subarray(128 + extraIsize);
      const theirInlineEntries = theirInline.readUInt32LE(0) === 0xea020000 ? decodeEntries(theirInline, 4, 4) : [];
      const ourInlineEntries = ours.inlineArea ? decodeEntries(ours.inlineArea, 4, 4) : [];
      // Inline order follows set order in libext2fs (listxattr order here), ours is sorted: compare as sets.
      expect([...ourInlineEntries].sort(byName)).toEqual([...theirInlineEntries].sort(byName));
      if (theirInlineEntries.length === 1) expect(ours.inlineArea!.equals(theirInline)).toBe(true);

      if (facts.fileAcl === 0) {
        expect(ours.block).toBeNull();
        return;
      }
      const theirBlock = readBytes(image, facts.fileAcl * sb.blockSizeBytes, sb.blockSizeBytes);
      expect(ours.block).not.toBeNull();
      expect(decodeEntries(ours.block!, 32, 0)).toEqual(decodeEntries(theirBlock, 32, 0));
      // libext2fs leaves h_hash 0; the kernel (and we) fill it in. Equal bytes once h_hash is aligned…
      const withHash = Buffer.from(ours.block!);
      const aligned = Buffer.from(ours.block!);
      aligned.writeUInt32LE(theirBlock.readUInt32LE(0xc), 0xc); // h_hash
      sealXattrBlock(aligned, { blockNumber: facts.fileAcl, fsSeed: sb.fsSeed, refcount: theirBlock.readUInt32LE(4) });
      expect(aligned.equals(theirBlock)).toBe(true);
      // …and our block as is, sealed and written in place, passes e2fsck -fn.
      sealXattrBlock(withHash, { blockNumber: facts.fileAcl, fsSeed: sb.fsSeed, refcount: 1 });
      expect(withHash.readUInt32LE(0xc)).not.toBe(0);
      writeBytes(image, facts.fileAcl * sb.blockSizeBytes, withHash);
      try {
        expect(fsckStatus(image).status).toBe(0);
      } finally {
        writeBytes(image, facts.fileAcl * sb.blockSizeBytes, theirBlock);
      }
    });
  }

  it('a flipped byte in an xattr block makes e2fsck -fn object and our checksum differ', () => {
    const sb = readSuperblock(image);
    const facts = inodeFacts(image, '/big');
    const offset = facts.fileAcl * sb.blockSizeBytes;
    const block = readBytes(image, offset, sb.blockSizeBytes);
    const corrupt = Buffer.from(block);
    corrupt.writeUInt8(corrupt.readUInt8(sb.blockSizeBytes - 1) ^ 0x40, sb.blockSizeBytes - 1); // a value byte
    writeBytes(image, offset, corrupt);
    try {
      expect(fsckStatus(image).status).not.toBe(0);
      const resealed = Buffer.from(corrupt);
      sealXattrBlock(resealed, { blockNumber: facts.fileAcl, fsSeed: sb.fsSeed, refcount: 1 });
      expect(resealed.readUInt32LE(0x10)).not.toBe(block.readUInt32LE(0x10));
    } finally {
      writeBytes(image, offset, block);
    }
    expect(fsckStatus(image).status).toBe(0);
  });
});
