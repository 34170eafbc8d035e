import { describe, expect, it } from 'vitest';
import { detectCompression } from './detect-compression.js';

describe('detectCompression', () => {
  it('recognises gzip, zstd frames and zstd skippable frames by magic', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from([0x50, 0x2a, 0x4d, 0x18]))).toBe('zstd');
    expect(detectCompression(Buffer.from([0x5f, 0x2a, 0x4d, 0x18]))).toBe('zstd');
  });

  it('treats anything else, and short inputs, as uncompressed', () => {
    expect(detectCompression(Buffer.from([0x60, 0x2a, 0x4d, 0x18]))).toBe('none');
    expect(detectCompression(Buffer.from([0x4f, 0x2a, 0x4d, 0x18]))).toBe('none');
    expect(detectCompression(Buffer.from('etc/passwd\0'))).toBe('none');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f]))).toBe('none');
    expect(detectCompression(Buffer.from([0x1f]))).toBe('none');
    expect(detectCompression(Buffer.alloc(0))).toBe('none');
  });
});
