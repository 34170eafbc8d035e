// Flags shared by every verb that reads layers, and their translation into pipeline options.
import type { OptionSpec, CommandContext } from '../command.js';
import type { LoadTreeOptions } from '../../pipeline/load-tree.js';
import { sourceDateEpochFromEnv } from '../../shared/source-date-epoch.js';

export const LAYER_OPTIONS: OptionSpec[] = [
  {
    name: 'layer',
    type: 'string',
    short: 'l',
    multiple: true,
    valueName: 'L',
    help: 'a layer, bottom first: tar (plain, gzip or zstd), directory, docker-save archive, OCI layout, or a disk or filesystem image (raw or .img.zst; its root ext4 filesystem)',
  },
  { name: 'platform', type: 'string', valueName: 'OS/ARCH[/VARIANT]', help: 'image platform to pick from a multi-platform OCI index (default linux/amd64)' },
  { name: 'tmp-dir', type: 'string', valueName: 'DIR', help: 'where compressed layers are decompressed to (default: the OS temp dir)' },
];

export function layerOptionsFrom(context: CommandContext): LoadTreeOptions {
  const epoch = sourceDateEpochFromEnv(context.env);
  const platform = context.values.platform as string | undefined;
  const tmpDir = (context.values['tmp-dir'] as string | undefined) ?? context.env.AMIKIT_TMPDIR;
  return {
    layers: (context.values.layer as string[] | undefined) ?? [],
    ...(platform ? { platform } : {}),
    ...(tmpDir ? { tmpDir } : {}),
    ...(epoch !== undefined ? { sourceDateEpochSec: epoch } : {}),
    onWarning: (message) => context.warn(message),
    onProgress: (event) => context.progress(event),
  };
}

/** The required -o/--output value. */
export const OUTPUT_OPTION: OptionSpec = { name: 'output', type: 'string', short: 'o', valueName: 'OUT', help: 'output file (written under a temporary name, renamed when complete)' };
