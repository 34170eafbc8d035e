// Flags shared by `register` and `publish` (name, architecture, boot mode, IMDS, TPM, launch permissions,
// --copy-to, --if-exists) and their checks, made before any AWS call so a typo exits 2 and creates nothing.
import type { AmiSettings, AmiArchitecture, AmiBootMode } from '../../aws/ec2/register-ami.js';
import type { IfExistsPolicy } from '../../pipeline/register-snapshot.js';
import { onInterrupt } from '../../pipeline/interrupt-cleanups.js';
import { AmikitError } from '../../shared/errors.js';
import type { CommandContext, OptionSpec } from '../command.js';
import { TAG_OPTION, descriptionFrom, tagsFrom } from './aws-options.js';

export const AMI_OPTIONS: OptionSpec[] = [
  { name: 'name', type: 'string', valueName: 'NAME', help: 'AMI name: 3-128 of A-Z a-z 0-9 ( ) [ ] space . / - \' @ _ (required)' },
  { name: 'description', type: 'string', valueName: 'D', help: 'AMI description (at most 255 characters)' },
  { name: 'architecture', type: 'string', valueName: 'ARCH', help: 'x86_64 or arm64 (publish: default read from the image\'s /bin/sh; register: default x86_64)' },
  { name: 'boot-mode', type: 'string', valueName: 'MODE', help: 'uefi (default), uefi-preferred or legacy-bios' },
  { name: 'imds', type: 'string', valueName: 'V', help: 'v2.0 (default: instances must use IMDSv2 tokens) or any (the account default)' },
  { name: 'tpm', type: 'string', valueName: 'V', help: 'v2.0 gives instances a NitroTPM (needs a uefi boot mode)' },
  { name: 'root-device', type: 'string', valueName: 'DEV', help: 'root device name (default /dev/xvda)' },
  { name: 'volume-size', type: 'string', valueName: 'GIB', help: 'root volume size in GiB (default: the snapshot size)' },
  { name: 'volume-type', type: 'string', valueName: 'TYPE', help: 'root volume type: gp3 (default), gp2, io1 or io2' },
  TAG_OPTION,
  { name: 'launch-permission', type: 'string', multiple: true, valueName: 'ACCOUNT', help: 'a 12-digit account id (or all) allowed to launch the AMI (repeatable)' },
  { name: 'copy-to', type: 'string', multiple: true, valueName: 'REGION', help: 'copy the AMI to this region too and wait for it (repeatable)' },
  { name: 'if-exists', type: 'string', valueName: 'POLICY', help: 'an AMI of that name exists already: fail (default) or reuse it' },
];

const NAME_PATTERN = /^[A-Za-z0-9()[\] ./'@_-]{3,128}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The AMI settings from the flags; `defaultArchitecture` undefined leaves it for the image to tell. */
export function amiSettingsFrom(context: CommandContext, verb: string, defaultArchitecture: AmiArchitecture | undefined): Omit<AmiSettings, 'architecture'> & { architecture?: AmiArchitecture } {
  const name = context.values.name as string | undefined;
  if (name === undefined) throw new AmikitError('USAGE', `${verb}: --name is required`);
  if (!NAME_PATTERN.test(name)) throw new AmikitError('USAGE', `invalid --name '${name}': 3-128 characters of letters, digits and ( ) [ ] space . / - ' @ _`);
  const architecture = oneOf(context, 'architecture', ['x86_64', 'arm64'] as const) ?? defaultArchitecture;
  const bootMode: AmiBootMode = oneOf(context, 'boot-mode', ['uefi', 'uefi-preferred', 'legacy-bios'] as const) ?? 'uefi';
  const imds = oneOf(context, 'imds', ['v2.0', 'any'] as const) ?? 'v2.0';
  const tpm = oneOf(context, 'tpm', ['v2.0'] as const);
  if (tpm && bootMode === 'legacy-bios') throw new AmikitError('USAGE', '--tpm v2.0 needs --boot-mode uefi or uefi-preferred');
  const rootDevice = context.values['root-device'] as string | undefined;
  if (rootDevice !== undefined && !/^\/dev\/(xvd[a-z]|sd[a-z]|nvme\d+n1)$/.test(rootDevice)) throw new AmikitError('USAGE', `invalid --root-device '${rootDevice}': use /dev/xvda, /dev/sda1-style names`);
  const sizeText = context.values['volume-size'] as string | undefined;
  let volumeSizeGiB: number | undefined;
  if (sizeText !== undefined) {
    volumeSizeGiB = Number(sizeText);
    if (!/^\d+$/.test(sizeText) || volumeSizeGiB < 1 || volumeSizeGiB > 65536) throw new AmikitError('USAGE', `invalid --volume-size '${sizeText}': an integer number of GiB from 1 to 65536`);
  }
  const volumeType = oneOf(context, 'volume-type', ['gp3', 'gp2', 'io1', 'io2'] as const);
  const launchPermissions = ((context.values['launch-permission'] as string[] | undefined) ?? []).map((who) => {
    if (who !== 'all' && !/^\d{12}$/.test(who)) throw new AmikitError('USAGE', `invalid --launch-permission '${who}': a 12-digit account id or all`);
    return who;
  });
  const description = descriptionFrom(context);
  const tags = tagsFrom(context);
  return {
    name,
    ...(description !== undefined ? { description } : {}),
    ...(architecture ? { architecture } : {}),
    bootMode,
    ...(rootDevice !== undefined ? { rootDeviceName: rootDevice } : {}),
    ...(volumeSizeGiB !== undefined ? { volumeSizeGiB } : {}),
    ...(volumeType ? { volumeType } : {}),
    ...(imds === 'v2.0' ? { imdsSupport: 'v2.0' as const } : {}),
    ...(tpm ? { tpmSupport: tpm } : {}),
    tags,
    launchPermissions,
  };
}

/** `--copy-to` regions (checked for shape, deduplicated in order). */
export function copyToFrom(context: CommandContext): string[] {
  const regions = (context.values['copy-to'] as string[] | undefined) ?? [];
  for (const region of regions) if (!REGION_PATTERN.test(region)) throw new AmikitError('USAGE', `invalid --copy-to '${region}': a region name such as eu-west-1`);
  return [...new Set(regions)];
}

export function ifExistsFrom(context: CommandContext): IfExistsPolicy {
  return oneOf(context, 'if-exists', ['fail', 'reuse'] as const) ?? 'fail';
}

function oneOf<T extends string>(context: CommandContext, flag: string, allowed: readonly T[]): T | undefined {
  const value = context.values[flag] as string | undefined;
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new AmikitError('USAGE', `invalid --${flag} '${value}' (use ${allowed.join(' or ')})`);
  return value as T;
}

/**
 * Awaits a register or publish job: Ctrl-C aborts it and waits for its own cleanup (snapshot deleted,
 * image deregistered) before the process exits; prints the AMI ids; releases every client.
 */
export async function finishAmiJob<T extends { imageId: string; copies: readonly { region: string; imageId: string }[] }>(
  context: CommandContext,
  job: Promise<T>,
  controller: AbortController,
  /** Read when the job ends: copies to other regions add their clients on the way. */
  clients: () => readonly { destroy(): void }[],
): Promise<T> {
  const forget = onInterrupt(async () => {
    controller.abort(new AmikitError('IO', 'interrupted'));
    await job.catch(() => undefined);
  });
  try {
    const result = await job;
    context.print(result.imageId);
    for (const copy of result.copies) context.print(`${copy.region} ${copy.imageId}`);
    return result;
  } finally {
    forget();
    for (const client of clients()) client.destroy();
  }
}
