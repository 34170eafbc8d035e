// Checks dirHash against e2fsprogs' own implementation (`debugfs dx_hash`) for random names, all variants.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dirHash, type DirHashVersion } from './dir-hash.js';

const SEED_UUID = '0b1c2d3e-4f50-4162-8374-95a6b7c8d9ea';

/** s_hash_seed words as the kernel reads them: the UUID's 16 bytes as four little-endian u32. */
function seedWords(uuid: string): number[] {
  const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  return [0, 4, 8, 12].map((offset) => bytes.readUInt32LE(offset));
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Names debugfs' command parser passes through unchanged: no whitespace, quotes or backslashes. */
function randomNames(count: number, seed: number): Buffer[] {
  const next = xorshift(seed);
  const names: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const length = n < 40 ? n + 1 : 1 + (next() % (n % 5 === 0 ? 255 : 40));
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      let byte: number;
      do byte = next() % 4 === 0 ? 0x80 + (next() % 128) : 0x21 + (next() % 94);
      while (byte === 0x22 || byte === 0x5c || byte === 0x2f || byte === 0x23 || byte === 0x27);
      bytes[i] = byte;
    }
    names.push(bytes);
  }
  return names;
}

describe('dirHash', () => {
  it('clears the low bit and gives legacy no minor hash', () => {
    for (const version of ['legacy', 'half_md4', 'tea'] as const) {
      const { hash } = dirHash('hello', version, [0, 0, 0, 0], false);
      expect(hash & 1).toBe(0);
    }
    expect(dirHash('hello', 'legacy', [0, 0, 0, 0], false).minorHash).toBe(0);
  });

  it('treats an all-zero seed as the default seed', () => {
    const name = 'lost+found';
    expect(dirHash(name, 'half_md4', [0, 0, 0, 0], true)).toEqual(
      dirHash(name, 'half_md4', [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476], true),
    );
  });

  it('differs between signed and unsigned chars only for names with high-bit bytes', () => {
    const ascii = 'plain-name.txt';
    const high = 'a\xe9b';
    expect(dirHash(ascii, 'half_md4', [1, 2, 3, 4], true)).toEqual(dirHash(ascii, 'half_md4', [1, 2, 3, 4], false));
    expect(dirHash(high, 'half_md4', [1, 2, 3, 4], true)).not.toEqual(dirHash(high, 'half_md4', [1, 2, 3, 4], false));
  });

  const debugfs = spawnSync('debugfs', ['-V']);
  it.skipIf(debugfs.error !== undefined)('matches debugfs dx_hash for 300 random names × 3 versions × signedness × 2 seeds (needs debugfs)', () => {
    const names = randomNames(300, 12345);
    const versions: DirHashVersion[] = ['legacy', 'half_md4', 'tea'];
    const codes: Record<DirHashVersion, number> = { legacy: 0, half_md4: 1, tea: 2 };
    const cases: { name: Buffer; version: DirHashVersion; signed: boolean; seed: string }[] = [];
    for (const seed of [SEED_UUID, '00000000-0000-0000-0000-000000000000']) {
      for (const version of versions) {
        for (const signed of [true, false]) {
          for (const name of names) cases.push({ name, version, signed, seed });
        }
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'amikit-dirhash-'));
    try {
      const script = Buffer.concat(
        cases.map(({ name, version, signed, seed }) =>
          Buffer.concat([
            Buffer.from(`dx_hash -h ${codes[version] + (signed ? 0 : 3)} -s ${seed} -- `),
            name,
            Buffer.from('\n'),
          ]),
        ),
      );
      const scriptPath = join(dir, 'cmds');
      writeFileSync(scriptPath, script);
      const result = spawnSync('debugfs', ['-f', scriptPath], { maxBuffer: 64 << 20 });
      const lines = result.stdout
        .toString('latin1')
        .split('\n')
        .filter((line) => line.startsWith('Hash of '));
      expect(lines).toHaveLength(cases.length);
      let mismatches = 0;
      cases.forEach((c, i) => {
        const match = / is 0x([0-9a-f]+) \(minor 0x([0-9a-f]+)\)$/.exec(lines[i]!);
        expect(match).not.toBeNull();
        const expected = { hash: parseInt(match![1]!, 16), minorHash: parseInt(match![2]!, 16) };
        const actual = dirHash(c.name.toString('latin1'), c.version, seedWords(c.seed), c.signed);
        if (actual.hash !== expected.hash || actual.minorHash !== expected.minorHash) mismatches++;
        expect(actual).toEqual(expected);
      });
      expect(mismatches).toBe(0);
      // Negative: the oracle discriminates — a wrong seed gives different half_md4 hashes.
      const wrong = dirHash(names[50]!.toString('latin1'), 'half_md4', seedWords(SEED_UUID).map((w) => w ^ 1), true);
      const right = dirHash(names[50]!.toString('latin1'), 'half_md4', seedWords(SEED_UUID), true);
      expect(wrong).not.toEqual(right);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
