// `amikit build`: layers → ext4 root filesystem image.
import { AmikitError } from '../../shared/errors.js';
import { formatBytes, parseSizeBytes } from '../../shared/units.js';
import { buildImage } from '../../pipeline/build-image.js';
import type { Command } from '../command.js';
import { LAYER_OPTIONS, OUTPUT_OPTION, layerOptionsFrom } from './layer-options.js';
import { OUTPUT_FORMAT_OPTIONS, outputFormatOptionsFrom } from './output-options.js';
import { CUSTOMIZE_OPTIONS, customizeFrom, dryRunCustomization, renderCustomizationReport } from './customize-options.js';
import type { CustomizationReport } from '../../customize/customize-tree.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'build an ext4 root filesystem image from layers, offline and without root',
  usage: 'amikit build --layer L [--layer L ...] -o OUT [--size 8GiB] [--label NAME] [--seed S] [--sysprep[=OPS]] [--ssh-key USER=PUBKEYFILE ...] [--dry-run]',
  options: [
    ...LAYER_OPTIONS,
    OUTPUT_OPTION,
    ...OUTPUT_FORMAT_OPTIONS,
    { name: 'size', type: 'string', valueName: 'SIZE', help: 'filesystem size: 8GiB, 8G, 512MiB or bytes (default: content plus free space)' },
    { name: 'layout', type: 'string', valueName: 'fs', help: 'output layout: fs (a bare ext4 filesystem; the default)' },
    { name: 'label', type: 'string', valueName: 'NAME', help: 'filesystem label (at most 16 bytes)' },
    { name: 'seed', type: 'string', valueName: 'S', help: 'seed for UUID and hash seed: same inputs + seed + SOURCE_DATE_EPOCH give identical bytes' },
    { name: 'ext4-compat', type: 'boolean', help: 'drop metadata_csum and 64bit for guests with e2fsprogs older than 1.43' },
    ...CUSTOMIZE_OPTIONS,
  ],
  details: [
    'The image is a sparse file: unwritten blocks are holes. Timestamps newer than SOURCE_DATE_EPOCH are',
    'clamped to it, and it is the filesystem creation time. Without --seed the UUID is random.',
  ].join('\n'),
  async run(context) {
    const customization = customizeFrom(context);
    if (customization.dryRun) {
      const report = await dryRunCustomization(layerOptionsFrom(context), customization);
      for (const line of renderCustomizationReport(report, true)) context.print(line);
      return { dryRun: true, customization: report };
    }
    const output = context.values.output as string | undefined;
    if (!output) throw new AmikitError('USAGE', 'build: -o/--output is required');
    const layout = (context.values.layout as string | undefined) ?? 'fs';
    if (layout !== 'fs') throw new AmikitError('USAGE', `build: unknown --layout '${layout}' (available: fs)`);
    const sizeText = context.values.size as string | undefined;
    const result = await buildImage({
      ...layerOptionsFrom(context),
      ...outputFormatOptionsFrom(context),
      outputPath: output,
      ...(sizeText !== undefined ? { sizeBytes: parseSizeBytes(sizeText, '--size') } : {}),
      ...(context.values.label !== undefined ? { label: context.values.label as string } : {}),
      ...(context.values.seed !== undefined ? { seed: context.values.seed as string } : {}),
      ...(context.values['ext4-compat'] ? { ext4Compat: true } : {}),
      ...(customization.customize ? { customize: customization.customize } : {}),
    });
    if (result.customization) for (const line of renderCustomizationReport(result.customization as CustomizationReport, false)) context.print(line);
    const fs = result.filesystem;
    context.print(`${output}: ext4 ${formatBytes(fs.sizeBytes)}, ${fs.inodesUsed} inodes used, ${formatBytes(fs.blocksUsed * fs.blockSizeBytes)} used, UUID ${fs.uuid}`);
    return result;
  },
};
