// Byte units and the parser for user-given sizes ("8GiB", "8G", "512MiB", "4096").
import { AmikitError } from './errors.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** The EBS direct API block size: every snapshot block is exactly this long. */
export const EBS_BLOCK_SIZE_BYTES = 512 * KiB;

const SIZE_SUFFIX_BYTES: Record<string, number> = {
  '': 1,
  b: 1,
  k: KiB,
  kib: KiB,
  m: MiB,
  mib: MiB,
  g: GiB,
  gib: GiB,
  t: TiB,
  tib: TiB,
};

/**
 * Parses a size as users write it. Decimal-looking suffixes (K, M, G, T) mean binary units, as in
 * mke2fs and truncate: `8G` and `8GiB` are both 8 × 2^30 bytes.
 * @throws AmikitError USAGE when the text is not a size.
 */
export function parseSizeBytes(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? SIZE_SUFFIX_BYTES[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new AmikitError('USAGE', `invalid ${what} '${text}': use bytes or a unit such as 512MiB, 8GiB or 8G`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new AmikitError('USAGE', `invalid ${what} '${text}': must be a positive size`);
  }
  return bytes;
}

/** Renders bytes for humans: 1.5 GiB, 640 MiB, 12 KiB, 17 B. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [TiB, 'TiB'],
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [KiB, 'KiB'],
  ];
  for (const [size, name] of units) {
    if (Math.abs(bytes) >= size) {
      const value = bytes / size;
      return `${value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} ${name}`;
    }
  }
  return `${bytes} B`;
}
