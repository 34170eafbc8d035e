// Checks the raw CRC32C against the standard check value, a bitwise reference and a real mke2fs superblock.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

/** Bit-at-a-time reference: slow, obviously right. */
function crc32cBitwise(seed: number, data: Uint8Array): number {
  let crc = seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return crc >>> 0;
}

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('crc32c', () => {
  it('gives the standard CRC-32C check value once inverted', () => {
    expect(~crc32c(~0, Buffer.from('123456789')) >>> 0).toBe(0xe3069283);
  });

  it('returns an unsigned 32-bit value and the seed for empty input', () => {
    expect(crc32c(0xffffffff, new Uint8Array(0))).toBe(0xffffffff);
    expect(crc32c(~0, new Uint8Array(0))).toBe(0xffffffff);
    expect(crc32c(~0, Buffer.from('a'))).toBeGreaterThanOrEqual(0);
  });

  it('matches the bitwise reference for every length 0..64 and odd offsets', () => {
    const data = pseudoRandomBytes(200, 7);
    for (let length = 0; length <= 64; length++) {
      for (const offset of [0, 1, 3, 5]) {
        const slice = data.subarray(offset, offset + length);
        expect(crc32c(0x12345678, slice)).toBe(crc32cBitwise(0x12345678, slice));
      }
    }
  });

  it('chains: crc32c(crc32c(s, a), b) === crc32c(s, a‖b)', () => {
    const data = pseudoRandomBytes(1000, 99);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      expect(crc32c(crc32c(~0, data.subarray(0, cut)), data.subarray(cut))).toBe(crc32c(~0, data));
    }
  });

  const mke2fs = spawnSync('mke2fs', ['-V']);
  it.skipIf(mke2fs.error !== undefined)('reproduces the superblock checksum of a real mke2fs image', () => {
    const dir = mkdtempSync(join(tmpdir(), 'amikit-crc32c-'));
    try {
      const image = join(dir, 'fs.img');
      execFileSync(
        'mke2fs',
        ['-q', '-t', 'ext4', '-O', 'metadata_csum', '-U', '6f1c1a2e-3b4d-4c5e-8f60-718293a4b5c6',
          '-E', 'hash_seed=0b1c2d3e-4f50-4162-8374-95a6b7c8d9ea', '-F', image, '64M'],
        { env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' }, stdio: 'pipe' },
      );
      const sb = readFileSync(image).subarray(1024, 2048);
      const stored = sb.readUInt32LE(0x3fc);
      expect(crc32c(~0 >>> 0, sb.subarray(0, 0x3fc))).toBe(stored);
      // Negative: one flipped bit in the covered range must change the checksum.
      const corrupt = Buffer.from(sb);
      corrupt.writeUInt8(corrupt.readUInt8(0x68) ^ 1, 0x68);
      expect(crc32c(~0 >>> 0, corrupt.subarray(0, 0x3fc))).not.toBe(stored);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
