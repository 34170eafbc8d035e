import { describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { decodeSeekTable, encodeSeekTable, zeroFrame } from './seekable-zstd-format.js';

describe('seekable zstd format', () => {
  it.each([1, 4096, 128 * 1024, 128 * 1024 + 1, 512 * 1024, 16 * 1024 * 1024 + 7])('an RLE zero frame of %i bytes decompresses to zeros', (length) => {
    const content = decompress(zeroFrame(length));
    expect(content.length).toBe(length);
    expect(content.equals(Buffer.alloc(length))).toBe(true);
  });

  it('round-trips the seek table and rejects a damaged footer', () => {
    const entries = [
      { compressedBytes: 10, decompressedBytes: 524288, checksum: 0xdeadbeef },
      { compressedBytes: 524300, decompressedBytes: 100, checksum: 1 },
    ];
    const table = encodeSeekTable(entries);
    expect(decodeSeekTable(table, 't')).toEqual(entries);
    const bad = Buffer.from(table);
    bad[bad.length - 1] = 0;
    expect(() => decodeSeekTable(bad, 't')).toThrow(/not a seekable zstd image/);
    const reserved = Buffer.from(table);
    reserved[reserved.length - 5] = 0x84;
    expect(() => decodeSeekTable(reserved, 't')).toThrow(/reserved bits/);
  });
});
