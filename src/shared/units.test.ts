import { describe, expect, it } from 'vitest';
import { formatBytes, GiB, MiB, parseSizeBytes } from './units.js';

describe('parseSizeBytes', () => {
  it('reads binary units whether written 8G or 8GiB, and plain bytes', () => {
    expect(parseSizeBytes('8GiB')).toBe(8 * GiB);
    expect(parseSizeBytes('8G')).toBe(8 * GiB);
    expect(parseSizeBytes('8g')).toBe(8 * GiB);
    expect(parseSizeBytes('512MiB')).toBe(512 * MiB);
    expect(parseSizeBytes('1.5G')).toBe(1.5 * GiB);
    expect(parseSizeBytes('4096')).toBe(4096);
  });

  it('refuses what is not a positive size, naming the flag', () => {
    expect(() => parseSizeBytes('lots', '--size')).toThrow(/invalid --size 'lots'/);
    expect(() => parseSizeBytes('8XB')).toThrow(/invalid size/);
    expect(() => parseSizeBytes('0')).toThrow(/positive/);
    expect(() => parseSizeBytes('-1G')).toThrow(/invalid size/);
  });
});

describe('formatBytes', () => {
  it('renders human sizes', () => {
    expect(formatBytes(17)).toBe('17 B');
    expect(formatBytes(1.5 * GiB)).toBe('1.5 GiB');
    expect(formatBytes(640 * MiB)).toBe('640 MiB');
  });
});
