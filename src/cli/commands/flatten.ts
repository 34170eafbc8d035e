// `amikit flatten`: layers → one merged tar.
import { AmikitError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/units.js';
import type { Command } from '../command.js';
import { LAYER_OPTIONS, OUTPUT_OPTION, layerOptionsFrom } from './layer-options.js';

export const flattenCommand: Command = {
  name: 'flatten',
  summary: 'merge layers (OCI whiteout rules) into one deterministic PAX tar',
  usage: 'amikit flatten --layer L [--layer L ...] -o merged.tar',
  options: [...LAYER_OPTIONS, OUTPUT_OPTION],
  details: [
    'Layers merge top-down: whiteouts and opaque markers hide lower layers only, and a file deleted by an',
    'upper layer is never read. GNU tar extracts the output (tar -xpf --xattrs --acls --numeric-owner) to',
    'exactly the merged tree. The same inputs give a byte-identical tar.',
  ].join('\n'),
  async run(context) {
    const output = context.values.output as string | undefined;
    if (!output) throw new AmikitError('USAGE', 'flatten: -o/--output is required');
    const { flattenLayers } = await import('../../pipeline/flatten-layers.js');
    const result = await flattenLayers({ ...layerOptionsFrom(context), outputPath: output });
    context.print(`${output}: ${result.entries} entries, ${formatBytes(result.storedBytes)} of file data`);
    return result;
  },
};
