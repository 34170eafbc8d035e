// `amikit inspect INPUT`: what is in a root volume, and what `--sysprep` would change, without writing anything.
import { formatBytes } from '../../shared/units.js';
import type { InspectImageResult } from '../../pipeline/inspect-image.js';
import type { Command } from '../command.js';
import { layerOptionsFrom } from './layer-options.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'report partitions, filesystem, OS, kernels, boot entries, users and keys, swap, hostname, machine-id and what --sysprep would change',
  usage: 'amikit inspect INPUT [--sysprep=OPS] [--json]',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'sysprep', type: 'string', valueName: 'OPS', optionalValue: 'defaults', help: 'the --sysprep selection to preview (default: the default operations)' },
    { name: 'platform', type: 'string', valueName: 'OS/ARCH[/VARIANT]', help: 'image platform to pick from a multi-platform OCI index (default linux/amd64)' },
    { name: 'tmp-dir', type: 'string', valueName: 'DIR', help: 'where a compressed input is decompressed to (default: the OS temp dir)' },
  ],
  details: [
    'INPUT is an image (raw or seekable .img.zst; a bare ext4 filesystem or a GPT disk, whose root partition',
    'is found by type GUID and ext4 magic), or anything --layer accepts. Only metadata and the small',
    'configuration files the report needs are read; nothing is written.',
    'The --sysprep preview runs the operations on an in-memory copy of the tree.',
  ].join('\n'),
  async run(context) {
    const sysprep = context.values.sysprep as string | undefined;
    const { layers: _layers, ...loadOptions } = layerOptionsFrom(context);
    const { inspectImage } = await import('../../pipeline/inspect-image.js');
    const result = await inspectImage({ ...loadOptions, input: context.positionals[0]!, ...(sysprep !== undefined ? { sysprep } : {}) });
    for (const line of renderInspection(result)) context.print(line);
    return result;
  },
};

/** Human lines for an inspection: one section per fact, every value of the --json result that matters. */
export function renderInspection(result: InspectImageResult): string[] {
  const lines: string[] = [];
  const os = result.os;
  lines.push(`${result.input}: ${result.tree.entries} entries, ${result.tree.inodes} inodes`);
  const image = result.image;
  if (image) {
    lines.push(`image:       ${image.format}, ${formatBytes(image.sizeBytes)}, ${image.layout === 'gpt' ? `GPT disk (${image.gpt!.header} header${image.gpt!.primaryProblem ? `; primary: ${image.gpt!.primaryProblem}` : ''})` : image.layout === 'mbr' ? `MBR disk, root filesystem in partition ${image.root.partition}` : 'bare filesystem'}`);
    for (const p of image.gpt?.partitions ?? []) {
      const role = p.index === image.root.partition ? ' [root]' : p.index === image.esp?.partition ? ' [esp]' : '';
      lines.push(`  partition ${p.index}${role}: ${p.name || '(no name)'}, type ${p.typeGuid}, LBA ${p.firstLba}-${p.lastLba} (${formatBytes(p.sizeBytes)})`);
    }
    const fs = image.filesystem;
    lines.push(`filesystem:  ext4 UUID ${fs.uuid}, label ${fs.label === '' ? '(none)' : fs.label}, ${formatBytes(fs.sizeBytes)} (${fs.blockCount} × ${fs.blockSizeBytes} B), ${formatBytes(fs.usedBytes)} used, ${fs.inodeCount - fs.freeInodes}/${fs.inodeCount} inodes used`);
    lines.push(`  features: ${fs.features.join(' ')}`);
    lines.push(`  superblock checksum: ${fs.superblockChecksum}; ${fs.clean ? 'cleanly unmounted' : 'not cleanly unmounted'}${fs.needsRecovery ? '; the journal needs recovery (recent writes may be missing)' : ''}`);
  }
  lines.push(`os:          ${os ? `${os.prettyName ?? os.name ?? os.id ?? 'unnamed'}${os.id ? ` (id ${os.id}${os.versionId ? `, version ${os.versionId}` : ''})` : ''}` : 'unknown (no os-release)'}`);
  lines.push(`hostname:    ${result.hostname ?? '(none: /etc/hostname missing or empty)'}`);
  const id = result.machineId;
  lines.push(`machine-id:  ${id.state}${id.value ? ` ${id.value}` : ''}; dbus machine-id: ${id.dbus}`);
  lines.push(`kernels:     ${result.kernels.length === 0 ? 'none' : ''}`);
  for (const kernel of result.kernels) {
    const parts = [...kernel.images, ...kernel.initrds, ...(kernel.modules ? [`modules ${kernel.modules}`] : [])];
    lines.push(`  ${kernel.version}: ${parts.join(', ') || '(no files)'}`);
  }
  lines.push(`boot entries: ${result.bootEntries.length === 0 ? 'none' : ''}`);
  for (const entry of result.bootEntries) {
    lines.push(`  [${entry.kind}] ${entry.title} (${entry.source})${entry.linux ? `: ${entry.linux}` : ''}${entry.options ? ` ${entry.options}` : ''}`);
  }
  lines.push(`users:       ${result.users.length === 0 ? 'none with a login shell or keys' : ''}`);
  for (const user of result.users) {
    lines.push(`  ${user.name} (uid ${user.uid}) ${user.shell}${user.loginShell ? '' : ' (no login shell)'}: ${user.authorizedKeys} authorized key${user.authorizedKeys === 1 ? '' : 's'}${user.authorizedKeysFiles.length > 0 ? ` in ${user.authorizedKeysFiles.join(', ')}` : ''}`);
  }
  const swap = result.swap;
  const swapParts = [
    ...swap.fstab.map((entry) => `fstab ${entry.device}`),
    ...swap.files.map((file) => `file ${file.path} (${formatBytes(file.sizeBytes)})`),
    ...swap.units.map((unit) => `unit ${unit}`),
    ...swap.zram.map((path) => `zram ${path}`),
  ];
  lines.push(`swap:        ${swapParts.length === 0 ? 'none' : swapParts.join('; ')}`);
  const preview = result.sysprep;
  if (preview.error) lines.push(`--sysprep=${preview.selection} would stop: ${preview.error}`);
  else lines.push(`--sysprep=${preview.selection} would make ${preview.changes} change${preview.changes === 1 ? '' : 's'}${preview.changes > 0 || preview.warnings.length > 0 ? ':' : ''}`);
  for (const op of preview.operations) {
    for (const change of op.changes) lines.push(`  ${op.name}: ${change.action} ${change.path}${change.detail ? ` (${change.detail})` : ''}`);
    for (const warning of op.warnings) lines.push(`  ${op.name}: warning: ${warning}`);
  }
  if (preview.kernelArguments.length > 0) lines.push(`  kernel arguments for the boot entry: ${preview.kernelArguments.join(' ')}`);
  return lines;
}
