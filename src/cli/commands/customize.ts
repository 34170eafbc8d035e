// `amikit customize IMAGE -o NEW`: the customisation flags of build applied to an existing image offline;
// the root filesystem is rebuilt, everything else (partition tables, ESP) carried over byte for byte.
import { AmikitError } from '../../shared/errors.js';
import { formatBytes, parseSizeBytes } from '../../shared/units.js';
import type { CustomizationReport } from '../../customize/customize-tree.js';
import type { Command } from '../command.js';
import { OUTPUT_OPTION } from './layer-options.js';
import { OUTPUT_FORMAT_OPTIONS, outputFormatOptionsFrom } from './output-options.js';
import { CUSTOMIZE_OPTIONS, customizeFrom, renderCustomizationReport } from './customize-options.js';
import { sourceDateEpochFromEnv } from '../../shared/source-date-epoch.js';

export const customizeCommand: Command = {
  name: 'customize',
  summary: 'apply --sysprep, --ssh-key and the other customisation flags to an existing image, offline',
  usage: 'amikit customize IMAGE -o NEW [--sysprep[=OPS]] [--ssh-key USER=PUBKEYFILE ...] [--label NAME] [--size SIZE] [--dry-run]',
  positionals: { min: 1, max: 1 },
  options: [
    OUTPUT_OPTION,
    ...OUTPUT_FORMAT_OPTIONS,
    { name: 'size', type: 'string', valueName: 'SIZE', help: 'new filesystem size (default: the old one; on a disk it must fit the root partition)' },
    { name: 'label', type: 'string', valueName: 'NAME', help: 'new filesystem label (default: the old one)' },
    { name: 'seed', type: 'string', valueName: 'S', help: 'seed for the directory hash seed: same input + seed + SOURCE_DATE_EPOCH give identical bytes' },
    { name: 'ext4-compat', type: 'boolean', help: 'drop metadata_csum and 64bit for guests with e2fsprogs older than 1.43' },
    ...CUSTOMIZE_OPTIONS,
  ],
  details: [
    'IMAGE is raw or a seekable .img.zst, a bare ext4 filesystem or a GPT disk (root partition found by type',
    'GUID and ext4 magic). The root filesystem is rewritten from its customised tree with the same UUID, label',
    'and size unless told otherwise; every byte outside it (MBR, both GPTs, the ESP, other partitions) is',
    'copied unchanged. -o X.img.zst writes a seekable zstd image. The output appears only when complete.',
  ].join('\n'),
  async run(context) {
    const customization = customizeFrom(context);
    const input = context.positionals[0]!;
    const output = context.values.output as string | undefined;
    if (!customization.dryRun && !output) throw new AmikitError('USAGE', 'customize: -o/--output is required');
    const sizeText = context.values.size as string | undefined;
    const sizeBytes = sizeText !== undefined ? parseSizeBytes(sizeText, '--size') : undefined;
    const formatOptions = outputFormatOptionsFrom(context);
    const [{ openImage }, { customizeImage }] = await Promise.all([import('../../pipeline/open-image.js'), import('../../pipeline/customize-image.js')]);
    const image = await openImage(input);
    try {
      if (image.filesystem.needsRecovery) {
        throw new AmikitError('INPUT_FORMAT', `${input}: the journal needs recovery, so the tree may miss recent writes; run e2fsck on it first`, { data: { path: input } });
      }
      const tree = await image.readTree();
      if (customization.dryRun) {
        const report: CustomizationReport = customization.customize ? await customization.customize(tree) : { operations: [], kernelArguments: [], warnings: [] };
        for (const line of renderCustomizationReport(report, true)) context.print(line);
        return { dryRun: true, customization: report };
      }
      const epoch = sourceDateEpochFromEnv(context.env);
      const result = await customizeImage({
        source: {
          name: input,
          blocks: await image.blocks(),
          root: image.root,
          bareFilesystem: image.layout === 'filesystem',
          filesystem: { uuid: image.filesystem.uuid, label: image.filesystem.label },
          tree,
        },
        outputPath: output!,
        timestampSec: epoch ?? Math.floor(Date.now() / 1000),
        ...(sizeBytes !== undefined ? { sizeBytes } : {}),
        ...(context.values.label !== undefined ? { label: context.values.label as string } : {}),
        ...(context.values.seed !== undefined ? { seed: context.values.seed as string } : {}),
        ...(context.values['ext4-compat'] ? { ext4Compat: true } : {}),
        ...formatOptions,
        ...(customization.customize ? { customize: customization.customize } : {}),
        onProgress: (event) => context.progress(event),
      });
      if (result.customization) for (const line of renderCustomizationReport(result.customization as CustomizationReport, false)) context.print(line);
      const fs = result.filesystem;
      context.print(`${output}: root filesystem rebuilt (ext4 ${formatBytes(fs.sizeBytes)}, UUID ${fs.uuid}, ${fs.inodesUsed} inodes used)${image.layout === 'gpt' ? `, ${formatBytes(result.carriedBytes)} outside it carried over unchanged` : ''}`);
      return { input, layout: image.layout, ...result };
    } finally {
      await image.close();
    }
  },
};
