// `amikit build`: layers → ext4 root filesystem image.
import { AmikitError } from '../../shared/errors.js';
import { formatBytes, parseSizeBytes } from '../../shared/units.js';
import type { Command } from '../command.js';
import { LAYER_OPTIONS, OUTPUT_OPTION, layerOptionsFrom } from './layer-options.js';
import { OUTPUT_FORMAT_OPTIONS, outputFormatOptionsFrom } from './output-options.js';
import { CUSTOMIZE_OPTIONS, customizeFrom, dryRunCustomization, renderCustomizationReport } from './customize-options.js';
import type { CustomizationReport } from '../../customize/customize-tree.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'build an ext4 root filesystem image, or a bootable UEFI disk, from layers, offline and without root',
  usage: 'amikit build --layer L [--layer L ...] -o OUT [--size 8GiB] [--layout fs|uefi] [--kernel-arg ARG ...] [--label NAME] [--seed S] [--sysprep[=OPS]] [--ssh-key USER=PUBKEYFILE ...] [--dry-run]',
  options: [
    ...LAYER_OPTIONS,
    OUTPUT_OPTION,
    ...OUTPUT_FORMAT_OPTIONS,
    { name: 'size', type: 'string', valueName: 'SIZE', help: 'image size (with uefi, the whole disk): 8GiB, 8G, 512MiB or bytes (default: content plus free space)' },
    { name: 'layout', type: 'string', valueName: 'fs|uefi', help: 'output layout: fs (a bare ext4 filesystem; the default) or uefi (GPT disk: EFI system partition with systemd-boot + root partition)' },
    { name: 'kernel-arg', type: 'string', multiple: true, valueName: 'ARG', help: 'uefi: add ARG to the kernel command line (repeatable)' },
    { name: 'label', type: 'string', valueName: 'NAME', help: 'filesystem label (at most 16 bytes)' },
    { name: 'seed', type: 'string', valueName: 'S', help: 'seed for UUID and hash seed: same inputs + seed + SOURCE_DATE_EPOCH give identical bytes' },
    { name: 'ext4-compat', type: 'boolean', help: 'drop metadata_csum and 64bit for guests with e2fsprogs older than 1.43' },
    ...CUSTOMIZE_OPTIONS,
  ],
  details: [
    'The image is a sparse file: unwritten blocks are holes. Timestamps newer than SOURCE_DATE_EPOCH are',
    'clamped to it, and it is the filesystem creation time. Without --seed the UUID is random.',
    'With --layout uefi the boot loader (systemd-boot) and the newest kernel + initrd come from the image',
    'itself; the entry boots root=PARTUUID=… rw with consoles on tty0 and ttyS0 (the EC2 serial console),',
    'plus noresume with --sysprep. An /etc/fstab root entry by LABEL= names the filesystem label; other',
    'root entries that would not match are rewritten to PARTUUID=….',
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
    if (layout !== 'fs' && layout !== 'uefi') throw new AmikitError('USAGE', `build: unknown --layout '${layout}' (available: fs, uefi)`);
    const kernelArgs = (context.values['kernel-arg'] as string[] | undefined) ?? [];
    if (layout !== 'uefi' && kernelArgs.length > 0) throw new AmikitError('USAGE', 'build: --kernel-arg needs --layout uefi');
    if (context.values.sysprep !== undefined) kernelArgs.unshift('noresume'); // the swap image a resume would read is gone
    const sizeText = context.values.size as string | undefined;
    const { buildImage } = await import('../../pipeline/build-image.js');
    const result = await buildImage({
      ...layerOptionsFrom(context),
      ...outputFormatOptionsFrom(context),
      outputPath: output,
      layout,
      ...(layout === 'uefi' ? { kernelArgs } : {}),
      ...(sizeText !== undefined ? { sizeBytes: parseSizeBytes(sizeText, '--size') } : {}),
      ...(context.values.label !== undefined ? { label: context.values.label as string } : {}),
      ...(context.values.seed !== undefined ? { seed: context.values.seed as string } : {}),
      ...(context.values['ext4-compat'] ? { ext4Compat: true } : {}),
      ...(customization.customize ? { customize: customization.customize } : {}),
    });
    if (result.customization) for (const line of renderCustomizationReport(result.customization as CustomizationReport, false)) context.print(line);
    const fs = result.filesystem;
    if (result.disk) {
      const [esp, root] = result.disk.partitions;
      context.print(`${output}: GPT disk ${formatBytes(result.disk.sizeBytes)}, ESP ${formatBytes(esp!.sizeBytes)} (${result.disk.bootEntry.kernel}), root PARTUUID ${root!.partUuid}`);
    }
    context.print(`${output}: ext4 ${formatBytes(fs.sizeBytes)}, ${fs.inodesUsed} inodes used, ${formatBytes(fs.blocksUsed * fs.blockSizeBytes)} used, UUID ${fs.uuid}`);
    return result;
  },
};
