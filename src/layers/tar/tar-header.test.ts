import { describe, expect, it } from 'vitest';
import { decodeTarHeader, encodeTarHeader, headerChecksums, octalFieldMax, parseNumericField, splitUstarPath } from './tar-header.js';

const where = 't.tar: offset 0';

describe('parseNumericField', () => {
  it('reads octal with leading spaces and NUL or space terminators; empty is 0', () => {
    expect(parseNumericField(Buffer.from('0000644\0'), 'mode', where)).toBe(0o644);
    expect(parseNumericField(Buffer.from('   755 \0'), 'mode', where)).toBe(0o755);
    expect(parseNumericField(Buffer.from('77777777777\0'), 'size', where)).toBe(8 ** 11 - 1);
    expect(parseNumericField(Buffer.alloc(8), 'uid', where)).toBe(0);
    expect(parseNumericField(Buffer.from('        '), 'uid', where)).toBe(0);
  });

  it('reads GNU base-256, positive and negative', () => {
    const positive = Buffer.alloc(12);
    positive[0] = 0x80;
    positive.writeUIntBE(10 * 1024 ** 3, 6, 6);
    expect(parseNumericField(positive, 'size', where)).toBe(10 * 1024 ** 3);
    const minusOne = Buffer.alloc(12, 0xff);
    expect(parseNumericField(minusOne, 'mtime', where, true)).toBe(-1);
    const minus1e6 = Buffer.alloc(12, 0xff);
    minus1e6.writeIntBE(-1_000_000, 6, 6);
    expect(parseNumericField(minus1e6, 'mtime', where, true)).toBe(-1_000_000);
  });

  it('refuses junk, negative sizes and values beyond 2^53', () => {
    expect(() => parseNumericField(Buffer.from('12x4\0\0\0\0'), 'mode', where)).toThrow(/^t\.tar: offset 0: mode field is not an octal number/);
    expect(() => parseNumericField(Buffer.from('0009\0'), 'mode', where)).toThrow(/not an octal number/);
    expect(() => parseNumericField(Buffer.alloc(12, 0xff), 'size', where)).toThrow(/negative size/);
    const huge = Buffer.alloc(12, 0x7f);
    huge[0] = 0x80 | 0x3f;
    expect(() => parseNumericField(huge, 'size', where)).toThrow(/out of range/);
  });
});

describe('encodeTarHeader / decodeTarHeader', () => {
  it('round-trips a ustar header and its prefix', () => {
    const block = encodeTarHeader({
      name: Buffer.from('file'),
      prefix: Buffer.from('some/dir'),
      mode: 0o4755,
      uid: 1000,
      gid: 2000,
      sizeBytes: 12345,
      mtimeSec: 1_700_000_000,
      typeflag: '0',
      devMajor: 0,
      devMinor: 0,
    });
    expect(block.length).toBe(512);
    const header = decodeTarHeader(block, where);
    expect(header.path).toBe('some/dir/file');
    expect(header).toMatchObject({ mode: 0o4755, uid: 1000, gid: 2000, sizeBytes: 12345, mtimeSec: 1_700_000_000, typeflag: '0', magic: 'ustar' });
  });

  it('accepts a signed checksum and refuses a wrong one', () => {
    const block = encodeTarHeader({ name: Buffer.from('n\xe9', 'latin1'), mode: 0o644, uid: 0, gid: 0, sizeBytes: 0, mtimeSec: 0, typeflag: '0' });
    const { signed } = headerChecksums(block);
    block.write(signed.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
    expect(decodeTarHeader(block, where).path).toBe('n\xe9');
    block.write('000001\0 ', 148, 8, 'latin1');
    expect(() => decodeTarHeader(block, where)).toThrow(/^t\.tar: offset 0: bad header checksum \(stored 1, computed \d+\)$/);
  });

  it('refuses values that do not fit an octal field (the writer must use PAX)', () => {
    expect(octalFieldMax(8)).toBe(2097151);
    expect(() => encodeTarHeader({ name: Buffer.from('x'), mode: 0, uid: 2097152, gid: 0, sizeBytes: 0, mtimeSec: 0, typeflag: '0' })).toThrow(/uid/);
  });
});

describe('splitUstarPath', () => {
  it('keeps short paths whole, splits long ones at a slash, gives up otherwise', () => {
    expect(splitUstarPath(Buffer.from('a/b'))!.name.toString()).toBe('a/b');
    const long = Buffer.from(`${'p'.repeat(120)}/${'n'.repeat(90)}`);
    const split = splitUstarPath(long)!;
    expect(split.prefix.toString()).toBe('p'.repeat(120));
    expect(split.name.toString()).toBe('n'.repeat(90));
    expect(splitUstarPath(Buffer.from('n'.repeat(101)))).toBeUndefined();
    expect(splitUstarPath(Buffer.from(`${'p'.repeat(156)}/x`))).toBeUndefined();
  });
});
