// `amikit export IMAGE -o tree.tar`: an image's root filesystem as one deterministic PAX tar.
import { AmikitError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/units.js';
import type { Command } from '../command.js';
import { OUTPUT_OPTION } from './layer-options.js';

export const exportCommand: Command = {
  name: 'export',
  summary: "write an image's root filesystem as a deterministic PAX tar",
  usage: 'amikit export IMAGE -o tree.tar [--json]',
  positionals: { min: 1, max: 1 },
  options: [OUTPUT_OPTION],
  details: [
    'IMAGE is raw or seekable .img.zst, a bare ext4 filesystem or a GPT disk (its root partition). The tar',
    'is written as flatten writes one (parents first, names in byte order, hard links to the first name),',
    'so `amikit flatten --layer tree.tar` reproduces it byte for byte. Metadata checksum results are reported.',
  ].join('\n'),
  async run(context) {
    const output = context.values.output as string | undefined;
    if (!output) throw new AmikitError('USAGE', 'export: -o/--output is required');
    const { exportImage } = await import('../../pipeline/browse-image.js');
    const result = await exportImage({ imagePath: context.positionals[0]!, outputPath: output, onProgress: context.progress, onWarning: context.warn });
    context.print(`${output}: ${result.entries} entries, ${formatBytes(result.storedBytes)} of file data`);
    const c = result.checksums;
    if (c.enabled) {
      const bad = c.groupDescriptors.bad + c.inodes.bad + c.extentBlocks.bad + c.directoryBlocks.bad + c.xattrBlocks.bad;
      const checked = c.groupDescriptors.checked + c.inodes.checked + c.extentBlocks.checked + c.directoryBlocks.checked + c.xattrBlocks.checked;
      context.print(`metadata checksums: ${checked} checked, ${bad} bad${bad > 0 ? ` (${c.failures.join(', ')})` : ''}`);
      if (bad > 0) context.warn(`${result.image}: ${bad} metadata checksum${bad === 1 ? ' does' : 's do'} not match; the tree was read anyway`);
    }
    return result;
  },
};
