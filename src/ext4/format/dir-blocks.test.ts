// Checks directory blocks with an independent parser: rec_len chains, tails and dx checksums recomputed
// from concatenated bytes, dx_root/dx_node fields, hash ranges, and a simulation of the kernel's lookup.
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../kernels/crc32c.js';
import { AmikitError } from '../../shared/errors.js';
import { buildDirBlocks, dirBlockCount, type DirBlocksOptions, type DirEntryInput } from './dir-blocks.js';
import { dirHash } from './dir-hash.js';

const SEED = [0x3e2d1c0b, 0x6241504f, 0xa6958374, 0xead9c8b7];

function options(overrides: Partial<DirBlocksOptions> = {}): DirBlocksOptions {
  return {
    blockSizeBytes: 4096,
    dirInode: 12,
    parentInode: 2,
    hashVersion: 'half_md4',
    hashSeed: SEED,
    signedChars: false,
    checksum: { fsSeed: 0xdeadbeef, inodeGeneration: 0x1234 },
    ...overrides,
  };
}

function makeEntries(count: number, prefix = 'file-', firstInode = 100): DirEntryInput[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${i.toString(36)}.${"x".repeat(i % 23)}`,
    inode: firstInode + i,
    fileType: (i % 7) + 1,
  }));
}

function expectedSeed(o: DirBlocksOptions): number {
  const words = Buffer.alloc(8);
  words.writeUInt32LE(o.dirInode, 0);
  words.writeUInt32LE(o.checksum!.inodeGeneration, 4);
  return crc32c(o.checksum!.fsSeed, words);
}

interface ParsedEntry {
  inode: number;
  name: Buffer;
  fileType: number;
}

/** Walks a rec_len chain that must end exactly at `end`; returns live entries. */
function parseLeaf(block: Buffer, start: number, end: number): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  let offset = start;
  while (offset < end) {
    const inode = block.readUInt32LE(offset);
    const recLen = block.readUInt16LE(offset + 4);
    const nameLength = block.readUInt8(offset + 6);
    expect(recLen % 4).toBe(0);
    expect(recLen).toBeGreaterThanOrEqual((8 + nameLength + 3) & ~3);
    expect(offset + recLen).toBeLessThanOrEqual(end);
    if (inode !== 0) {
      out.push({ inode, name: block.subarray(offset + 8, offset + 8 + nameLength), fileType: block.readUInt8(offset + 7) });
    }
    offset += recLen;
  }
  expect(offset).toBe(end);
  return out;
}

function checkLeafTail(block: Buffer, o: DirBlocksOptions): number {
  if (!o.checksum) return block.length;
  const tail = block.length - 12;
  expect(block.readUInt32LE(tail)).toBe(0);
  expect(block.readUInt16LE(tail + 4)).toBe(12);
  expect(block.readUInt8(tail + 6)).toBe(0);
  expect(block.readUInt8(tail + 7)).toBe(0xde);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(o.dirInode, 0);
  prefix.writeUInt32LE(o.checksum.inodeGeneration, 4);
  const expected = crc32c(o.checksum.fsSeed, Buffer.concat([prefix, block.subarray(0, tail)]));
  expect(block.readUInt32LE(tail + 8)).toBe(expected);
  return tail;
}

interface DxLevel {
  limit: number;
  entries: { hash: number; block: number }[];
}

function parseIndex(block: Buffer, countOffset: number, o: DirBlocksOptions): DxLevel {
  const limit = block.readUInt16LE(countOffset);
  const count = block.readUInt16LE(countOffset + 2);
  const csum = o.checksum ? 8 : 0;
  expect(limit).toBe(Math.floor((block.length - countOffset - csum) / 8));
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThanOrEqual(limit);
  const entries: { hash: number; block: number }[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({ hash: i === 0 ? 0 : block.readUInt32LE(countOffset + i * 8), block: block.readUInt32LE(countOffset + i * 8 + 4) });
    if (i > 0) expect(entries[i]!.hash).toBeGreaterThanOrEqual(entries[i - 1]!.hash);
  }
  if (o.checksum) {
    const tail = countOffset + limit * 8;
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(o.dirInode, 0);
    prefix.writeUInt32LE(o.checksum.inodeGeneration, 4);
    const covered = Buffer.concat([prefix, block.subarray(0, countOffset + count * 8), block.subarray(tail, tail + 4), Buffer.alloc(4)]);
    expect(block.readUInt32LE(tail + 4)).toBe(crc32c(o.checksum.fsSeed, covered));
  }
  return { limit, entries };
}

/** Kernel dx_probe: the last dx_entry whose hash ≤ target (slot 0 covers everything below). */
function probe(level: DxLevel, hash: number): number {
  let at = 0;
  for (let i = 1; i < level.entries.length; i++) if (level.entries[i]!.hash <= hash) at = i;
  return at;
}

/** Independent structural verification; returns the names found, in block order. */
function verify(blocks: Buffer[], indexed: boolean, input: readonly DirEntryInput[], o: DirBlocksOptions): void {
  const bs = o.blockSizeBytes;
  for (const block of blocks) expect(block.length).toBe(bs);
  const found = new Map<string, ParsedEntry>();
  if (!indexed) {
    const first = parseLeaf(blocks[0]!, 0, checkLeafTail(blocks[0]!, o));
    expect(first[0]!.name.toString()).toBe('.');
    expect(first[0]!.inode).toBe(o.dirInode);
    expect(first[1]!.name.toString()).toBe('..');
    expect(first[1]!.inode).toBe(o.parentInode);
    for (const e of first.slice(2)) found.set(e.name.toString('latin1'), e);
    for (const block of blocks.slice(1)) expect(parseLeaf(block, 0, checkLeafTail(block, o))).toEqual([]);
    expect(first.slice(2).map((e) => e.name.toString('latin1'))).toEqual(input.map((e) => e.name));
  } else {
    const root = blocks[0]!;
    expect(root.readUInt32LE(0)).toBe(o.dirInode);
    expect(root.readUInt16LE(4)).toBe(12);
    expect(root.subarray(6, 9)).toEqual(Buffer.from([1, 2, 0x2e]));
    expect(root.readUInt32LE(12)).toBe(o.parentInode);
    expect(root.readUInt16LE(16)).toBe(bs - 12);
    expect(root.subarray(18, 22)).toEqual(Buffer.from([2, 2, 0x2e, 0x2e]));
    expect(root.readUInt32LE(24)).toBe(0);
    expect(root.readUInt8(28)).toBe({ legacy: 0, half_md4: 1, tea: 2 }[o.hashVersion]);
    expect(root.readUInt8(29)).toBe(8);
    const levels = root.readUInt8(30);
    expect(levels).toBeLessThanOrEqual(1);
    const top = parseIndex(root, 32, o);
    // Flatten to leaf ranges, checking that every block is referenced exactly once.
    const referenced = new Set<number>([0]);
    const leaves: { hash: number; block: number }[] = [];
    const nodes = new Map<number, DxLevel>();
    for (const e of top.entries) {
      expect(referenced.has(e.block)).toBe(false);
      referenced.add(e.block);
      if (levels === 0) leaves.push(e);
      else {
        const node = blocks[e.block]!;
        expect(node.readUInt32LE(0)).toBe(0);
        expect(node.readUInt16LE(4)).toBe(bs);
        const level = parseIndex(node, 8, o);
        expect(level.entries.slice(1).every((c) => c.hash >= e.hash)).toBe(true);
        nodes.set(e.block, level);
        level.entries.forEach((c, i) => {
          expect(referenced.has(c.block)).toBe(false);
          referenced.add(c.block);
          leaves.push(i === 0 ? { hash: e.hash, block: c.block } : c);
        });
      }
    }
    expect(referenced.size).toBe(blocks.length);
    const leafEntries = new Map<number, ParsedEntry[]>();
    leaves.forEach((leaf, i) => {
      const entries = parseLeaf(blocks[leaf.block]!, 0, checkLeafTail(blocks[leaf.block]!, o));
      expect(entries.length).toBeGreaterThan(0);
      leafEntries.set(leaf.block, entries);
      const low = (leaf.hash & ~1) >>> 0;
      const next = leaves[i + 1];
      for (const e of entries) {
        const h = dirHash(e.name.toString('latin1'), o.hashVersion, o.hashSeed, o.signedChars).hash;
        expect(h).toBeGreaterThanOrEqual(low);
        // A following leaf flagged as a continuation may share our last hash; otherwise stay below it.
        if (next) expect(next.hash & 1 ? h <= (next.hash & ~1) >>> 0 : h < next.hash).toBe(true);
        found.set(e.name.toString('latin1'), e);
      }
    });
    // Kernel-style lookup for every name: probe, search the leaf, follow continuation leaves.
    const leafIndexByBlock = new Map(leaves.map((l, i) => [l.block, i]));
    for (const input1 of input) {
      const h = dirHash(input1.name, o.hashVersion, o.hashSeed, o.signedChars).hash;
      let leafBlock: number;
      if (levels === 0) leafBlock = top.entries[probe(top, h)]!.block;
      else {
        const node = nodes.get(top.entries[probe(top, h)]!.block)!;
        leafBlock = node.entries[probe(node, h)]!.block;
      }
      let li = leafIndexByBlock.get(leafBlock)!;
      let hit = false;
      for (;;) {
        hit = leafEntries.get(leaves[li]!.block)!.some((e) => e.name.toString('latin1') === input1.name);
        const next = leaves[li + 1];
        if (hit || !next || !(next.hash & 1) || (next.hash & ~1) >>> 0 !== h) break;
        li++;
      }
      expect(hit).toBe(true);
    }
  }
  expect(found.size).toBe(input.length);
  for (const e of input) {
    const got = found.get(e.name)!;
    expect(got.inode).toBe(e.inode);
    expect(got.fileType).toBe(e.fileType);
  }
}

/** Pairs of distinct names with equal legacy hashes, found by a birthday search. */
function legacyCollisions(wanted: number): string[][] {
  const seen = new Map<number, string>();
  const pairs: string[][] = [];
  for (let i = 0; pairs.length < wanted; i++) {
    const name = `c${i.toString(36)}`;
    const { hash } = dirHash(name, 'legacy', [0, 0, 0, 0], false);
    const other = seen.get(hash);
    if (other) pairs.push([other, name]);
    else seen.set(hash, name);
  }
  return pairs;
}

describe('buildDirBlocks', () => {
  it('writes a single linear block for a small directory, with and without checksums', () => {
    for (const checksum of [undefined, { fsSeed: 0x01020304, inodeGeneration: 7 }]) {
      for (const blockSizeBytes of [1024, 2048, 4096]) {
        const o = options({ checksum, blockSizeBytes });
        const input = makeEntries(10);
        const { blocks, indexed } = buildDirBlocks(input, o);
        expect(indexed).toBe(false);
        expect(blocks).toHaveLength(1);
        expect(dirBlockCount(input, o)).toBe(1);
        verify(blocks, indexed, input, o);
      }
    }
  });

  it('gives an empty directory "." and ".." only, ".." reaching the tail', () => {
    const o = options();
    const { blocks } = buildDirBlocks([], o);
    expect(blocks[0]!.readUInt16LE(12 + 4)).toBe(4096 - 12 - 12);
    verify(blocks, false, [], o);
  });

  it('pads a pre-sized directory (lost+found) with empty blocks', () => {
    const o = options({ minBlocks: 4 });
    const { blocks, indexed } = buildDirBlocks([], o);
    expect(indexed).toBe(false);
    expect(blocks).toHaveLength(4);
    expect(dirBlockCount([], o)).toBe(4);
    expect(blocks[3]!.readUInt16LE(4)).toBe(4096 - 12);
    verify(blocks, indexed, [], o);
  });

  it('switches to an htree exactly when one block no longer holds the entries', () => {
    const o = options();
    // 16-byte records: ".", ".." (24) + n*16 ≤ 4084 ⇔ n ≤ 253
    const names = (n: number): DirEntryInput[] =>
      Array.from({ length: n }, (_, i) => ({ name: `n${String(i).padStart(7, '0')}`, inode: 20 + i, fileType: 1 }));
    expect(buildDirBlocks(names(253), o).indexed).toBe(false);
    const big = buildDirBlocks(names(254), o);
    expect(big.indexed).toBe(true);
    expect(big.blocks).toHaveLength(2); // dx_root + one leaf: a leaf has no "." and ".."
    verify(big.blocks, true, names(254), o);
  });

  for (const [count, bs, checksum, version, signedChars] of [
    [600, 1024, true, 'half_md4', false],
    [5000, 4096, true, 'half_md4', true],
    [3000, 2048, false, 'tea', false],
    [2000, 1024, true, 'legacy', true],
  ] as const) {
    it(`builds a verifiable htree: ${count} entries, ${bs}-byte blocks, csum ${checksum}, ${version}`, () => {
      const o = options({ blockSizeBytes: bs, hashVersion: version, signedChars, checksum: checksum ? { fsSeed: 0xabcdef01, inodeGeneration: 99 } : undefined });
      const input = makeEntries(count, 'é-');
      const { blocks, indexed } = buildDirBlocks(input, o);
      expect(indexed).toBe(true);
      expect(dirBlockCount(input, o)).toBe(blocks.length);
      verify(blocks, indexed, input, o);
    });
  }

  it('uses a dx_node level for 100 000 entries and every name is found', () => {
    const o = options();
    const input = makeEntries(100_000);
    const { blocks, indexed } = buildDirBlocks(input, o);
    expect(blocks[0]!.readUInt8(30)).toBe(1);
    expect(dirBlockCount(input, o)).toBe(blocks.length);
    verify(blocks, indexed, input, o);
  });

  it('is independent of input order', () => {
    const o = options();
    const input = makeEntries(3000);
    const a = buildDirBlocks(input, o).blocks;
    const b = buildDirBlocks([...input].reverse(), o).blocks;
    expect(Buffer.concat(b).equals(Buffer.concat(a))).toBe(true);
  });

  it('flags a leaf that starts inside a run of equal hashes and lookups still find both names', () => {
    const pairs = legacyCollisions(40);
    const o = options({ hashVersion: 'legacy', hashSeed: [0, 0, 0, 0], blockSizeBytes: 1024 });
    let sawContinuation = false;
    for (let filler = 0; filler < 60 && !sawContinuation; filler++) {
      const input: DirEntryInput[] = [...pairs.flat(), ...Array.from({ length: filler }, (_, i) => `f${i}`)].map(
        (name, i) => ({ name, inode: 100 + i, fileType: 1 }),
      );
      const { blocks, indexed } = buildDirBlocks(input, o);
      verify(blocks, indexed, input, o);
      const root = blocks[0]!;
      const count = root.readUInt16LE(34);
      for (let i = 1; i < count; i++) if (root.readUInt32LE(32 + i * 8) & 1) sawContinuation = true;
    }
    expect(sawContinuation).toBe(true);
  });

  it('honours leafSlackPercent by leaving room in leaves', () => {
    const input = makeEntries(5000);
    const packed = buildDirBlocks(input, options()).blocks.length;
    const loose = buildDirBlocks(input, options({ leafSlackPercent: 20 }));
    expect(loose.blocks.length).toBeGreaterThan(packed);
    verify(loose.blocks, true, input, options({ leafSlackPercent: 20 }));
  });

  it('catches corruption (negative test of the verifier)', () => {
    const o = options();
    const input = makeEntries(800);
    const { blocks } = buildDirBlocks(input, o);
    const leaf = Buffer.from(blocks[1]!);
    leaf.writeUInt8(leaf.readUInt8(9) ^ 1, 9); // first name byte of the leaf
    expect(() => verify([blocks[0]!, leaf, ...blocks.slice(2)], true, input, o)).toThrow();
    const root = Buffer.from(blocks[0]!);
    root.writeUInt8(root.readUInt8(40) ^ 4, 40); // a dx_entry hash
    expect(() => verify([root, ...blocks.slice(1)], true, input, o)).toThrow();
  });

  it('rejects bad names and too-large directories', () => {
    const o = options();
    const bad = (name: string): unknown => {
      try {
        buildDirBlocks([{ name, inode: 20, fileType: 1 }], o);
      } catch (error) {
        return (error as AmikitError).code;
      }
      return 'no error';
    };
    expect(bad('a/b')).toBe('INPUT_FORMAT');
    expect(bad('..')).toBe('INPUT_FORMAT');
    expect(bad('.')).toBe('INPUT_FORMAT');
    expect(bad('a\0b')).toBe('INPUT_FORMAT');
    expect(bad('')).toBe('INPUT_FORMAT');
    expect(bad('a'.repeat(256))).toBe('FS_LIMIT');
    expect(bad('\xe9'.repeat(255))).toBe('no error'); // 255 bytes of a non-UTF-8 name: the limit is in bytes
    const dup = [
      { name: 'same', inode: 20, fileType: 1 },
      { name: 'same', inode: 21, fileType: 1 },
    ];
    expect(() => buildDirBlocks(dup, o)).toThrow(/duplicate/);
    expect(() => buildDirBlocks([...makeEntries(1000), ...dup], o)).toThrow(/duplicate/);
    // 1 KiB blocks: 123 root slots × 126 node slots × 3 long names per leaf ≈ 46 500 entries.
    const huge = Array.from({ length: 47_000 }, (_, i) => ({ name: i.toString().padStart(255, 'z'), inode: 20 + i, fileType: 1 }));
    expect(() => dirBlockCount(huge, options({ blockSizeBytes: 1024 }))).toThrow(AmikitError);
  });
});
