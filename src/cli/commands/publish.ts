// `amikit publish`: layers → ext4 image → block stream straight into a new EBS snapshot → AMI; prints its id.
import { AmikitError } from '../../shared/errors.js';
import { parseSizeBytes } from '../../shared/units.js';
import type { Command } from '../command.js';
import { AMI_OPTIONS, amiSettingsFrom, copyToFrom, finishAmiJob, ifExistsFrom } from './ami-options.js';
import { CONCURRENCY_OPTION, concurrencyFrom, kmsKeyArnFrom } from './aws-options.js';
import { CUSTOMIZE_OPTIONS, customizeFrom } from './customize-options.js';
import { LAYER_OPTIONS, layerOptionsFrom } from './layer-options.js';
import { OUTPUT_FORMAT_OPTIONS, outputFormatOptionsFrom } from './output-options.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'build an image from layers and publish it as an AMI in one stream (no local image unless -o); print the AMI id',
  usage: 'amikit publish --layer L [--layer L ...] --name NAME [-o OUT] [build flags] [register flags] [--encrypted [--kms-key-id ARN]] [--concurrency N] [--json]',
  options: [
    ...LAYER_OPTIONS,
    { name: 'output', type: 'string', short: 'o', valueName: 'OUT', help: 'also keep the image here (raw, or .img.zst); default: no image file is kept' },
    ...OUTPUT_FORMAT_OPTIONS,
    { name: 'size', type: 'string', valueName: 'SIZE', help: 'filesystem size: 8GiB, 8G, 512MiB or bytes (default: content plus free space)' },
    { name: 'layout', type: 'string', valueName: 'fs|uefi', help: 'image layout: fs (a bare ext4 filesystem; the default) or uefi (GPT disk: EFI system partition with systemd-boot + root partition)' },
    { name: 'kernel-arg', type: 'string', multiple: true, valueName: 'ARG', help: 'uefi: add ARG to the kernel command line (repeatable)' },
    { name: 'label', type: 'string', valueName: 'NAME', help: 'filesystem label (at most 16 bytes)' },
    { name: 'seed', type: 'string', valueName: 'S', help: 'seed for UUID and hash seed: same inputs + seed + SOURCE_DATE_EPOCH give identical bytes' },
    { name: 'ext4-compat', type: 'boolean', help: 'drop metadata_csum and 64bit for guests with e2fsprogs older than 1.43' },
    ...CUSTOMIZE_OPTIONS.filter((option) => option.name !== 'dry-run'),
    ...AMI_OPTIONS,
    { name: 'encrypted', type: 'boolean', help: 'encrypt the snapshot (the image\'s meaningful zeros are then sent too)' },
    { name: 'kms-key-id', type: 'string', valueName: 'ARN', help: 'KMS key ARN for the encryption (implies --encrypted)' },
    CONCURRENCY_OPTION,
  ],
  details: [
    'The image streams block by block into the snapshot (holes and free space are not sent); the AMI is',
    'registered only after the snapshot is completed, so a killed process never leaves an AMI behind. Any',
    'failure or Ctrl-C deletes the snapshot and deregisters the image made so far, then exits 1 (130 on',
    'Ctrl-C). The name is checked before building: taken ⇒ fail, unless --if-exists reuse prints the',
    'existing id. A uefi layout registers with boot mode uefi.',
  ].join('\n'),
  async run(context) {
    const layout = (context.values.layout as string | undefined) ?? 'fs';
    // Only layouts buildImage writes are accepted; a uefi layout registers with boot mode uefi.
    if (layout !== 'fs' && layout !== 'uefi') throw new AmikitError('USAGE', `publish: unknown --layout '${layout}' (available: fs, uefi)`);
    const kernelArgs = (context.values['kernel-arg'] as string[] | undefined) ?? [];
    if (layout !== 'uefi' && kernelArgs.length > 0) throw new AmikitError('USAGE', 'publish: --kernel-arg needs --layout uefi');
    if (context.values.sysprep !== undefined) kernelArgs.unshift('noresume');
    const settings = amiSettingsFrom(context, 'publish', undefined);
    if (layout === 'uefi' && settings.bootMode === 'legacy-bios') throw new AmikitError('USAGE', 'publish: a uefi layout boots with --boot-mode uefi, not legacy-bios');
    const copyTo = copyToFrom(context);
    const ifExists = ifExistsFrom(context);
    const concurrency = concurrencyFrom(context);
    const kmsKeyArn = kmsKeyArnFrom(context);
    const encrypted = context.values.encrypted === true || kmsKeyArn !== undefined;
    const customization = customizeFrom(context);
    const layers = layerOptionsFrom(context);
    const output = context.values.output as string | undefined;
    const sizeText = context.values.size as string | undefined;
    const sizeBytes = sizeText !== undefined ? parseSizeBytes(sizeText, '--size') : undefined;
    const [{ createAwsClients }, { publishImage }] = await Promise.all([import('../../aws/aws-clients.js'), import('../../pipeline/publish-image.js')]);
    const clients = createAwsClients({ env: context.env });
    const others: { destroy(): void }[] = [];
    const controller = new AbortController();
    const region = await clients.ec2.config.region();
    const publishing = publishImage({
      ...layers,
      ...outputFormatOptionsFrom(context),
      ...(output !== undefined ? { outputPath: output } : {}),
      layout,
      ...(layout === 'uefi' ? { kernelArgs, architecture: settings.architecture === 'arm64' ? ('arm64' as const) : ('x86-64' as const) } : {}),
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      ...(context.values.label !== undefined ? { label: context.values.label as string } : {}),
      ...(context.values.seed !== undefined ? { seed: context.values.seed as string } : {}),
      ...(context.values['ext4-compat'] ? { ext4Compat: true } : {}),
      ...(customization.customize ? { customize: customization.customize } : {}),
      clients,
      region,
      ec2For: (target) => {
        const other = createAwsClients({ env: context.env, region: target });
        others.push(other);
        return other.ec2;
      },
      settings,
      ifExists,
      copyTo,
      ...(encrypted ? { encrypted } : {}),
      ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      signal: controller.signal,
      onProgress: context.progress,
      onWarning: context.warn,
    });
    return finishAmiJob(context, publishing, controller, () => [clients, ...others]);
  },
};
