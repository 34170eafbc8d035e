// Flags about a build's output (block manifest, zstd level) and their translation into pipeline options.
import type { CommandContext, OptionSpec } from '../command.js';
import { AmikitError } from '../../shared/errors.js';

export const OUTPUT_FORMAT_OPTIONS: OptionSpec[] = [
  { name: 'manifest', type: 'string', valueName: 'FILE', help: 'also write a JSON block manifest: per written 512 KiB block its index, SHA-256 and xxh64, and the LINEAR aggregate' },
  { name: 'zstd-level', type: 'string', valueName: 'N', help: 'zstd level for an -o X.img.zst output (a seekable zstd image; default 1, tuned for speed)' },
];

export function outputFormatOptionsFrom(context: CommandContext): { manifestPath?: string; zstdLevel?: number } {
  const manifest = context.values.manifest as string | undefined;
  const levelText = context.values['zstd-level'] as string | undefined;
  let zstdLevel: number | undefined;
  if (levelText !== undefined) {
    zstdLevel = Number(levelText);
    if (!/^-?\d+$/.test(levelText.trim()) || zstdLevel < -7 || zstdLevel > 22) {
      throw new AmikitError('USAGE', `invalid --zstd-level '${levelText}': use an integer from -7 to 22`);
    }
  }
  return { ...(manifest ? { manifestPath: manifest } : {}), ...(zstdLevel !== undefined ? { zstdLevel } : {}) };
}
