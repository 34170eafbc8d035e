import { describe, expect, it } from 'vitest';
import { FAT32_MIN_CLUSTERS, fat32Geometry } from './write-fat32.js';

const MiB = 1024 * 1024;

describe('fat32Geometry', () => {
  it('picks the largest cluster that keeps a FAT32 cluster count', () => {
    const esp = fat32Geometry(256 * MiB);
    expect(esp.sectorsPerCluster).toBe(4); // 4 KiB clusters would leave fewer than 65,525
    expect(esp.clusterCount).toBeGreaterThanOrEqual(FAT32_MIN_CLUSTERS);
    expect(fat32Geometry(1024 * MiB).sectorsPerCluster).toBe(8);
  });

  it('goes down to 512-byte clusters for a small volume, and refuses one too small for FAT32', () => {
    const small = fat32Geometry(40 * MiB);
    expect(small.sectorsPerCluster).toBe(1);
    expect(small.clusterCount).toBeGreaterThanOrEqual(FAT32_MIN_CLUSTERS);
    expect(() => fat32Geometry(32 * MiB)).toThrow(/too small for FAT32/);
  });

  it('reserves a FAT large enough for every cluster', () => {
    for (const size of [40, 100, 256, 600, 2048]) {
      const g = fat32Geometry(size * MiB);
      expect(g.fatSectors * 512).toBeGreaterThanOrEqual((g.clusterCount + 2) * 4);
      expect(32 + 2 * g.fatSectors + g.clusterCount * g.sectorsPerCluster).toBeLessThanOrEqual(g.totalSectors);
    }
  });
});
