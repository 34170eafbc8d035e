import { describe, expect, it } from 'vitest';
import { keepFreedMemory } from './keep-freed-memory.js';
import { nativeAddon } from './native-addon.js';

const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;

describe('keepFreedMemory', () => {
  it('raises glibc malloc thresholds through the addon', (ctx) => {
    if (!nativeAddon().addon) ctx.skip(`native addon not in use: ${nativeAddon().reason}`);
    if (glibc === undefined) ctx.skip('not a glibc process: mallopt does not apply');
    expect(keepFreedMemory()).toBe(true);
  });

  it('refuses calls without both thresholds', (ctx) => {
    const addon = nativeAddon().addon;
    if (!addon) return ctx.skip(`native addon not in use: ${nativeAddon().reason}`);
    expect(() => (addon.keepFreedMemory as (trim: number) => boolean)(1)).toThrow(/needs two arguments/);
  });
});
