// Flags shared by the AWS verbs (--tag, --concurrency, --description) and their checks, made before
// any AWS call so a typo fails with exit 2 instead of a half-made snapshot.
import type { SnapshotTag } from '../../aws/ebs/snapshot-sink.js';
import { AmikitError } from '../../shared/errors.js';
import type { CommandContext, OptionSpec } from '../command.js';

export const TAG_OPTION: OptionSpec = { name: 'tag', type: 'string', multiple: true, valueName: 'K=V', help: 'a tag for what is created, at most 50' };
export const CONCURRENCY_OPTION: OptionSpec = {
  name: 'concurrency',
  type: 'string',
  valueName: 'N',
  help: 'requests in flight, fixed (default: adaptive, starting at 128 and halving on throttling)',
};

/** `--tag K=V` values as tags; the limits are StartSnapshot's and CreateTags' (key 1–127, no aws: prefix, value ≤255, ≤50 tags). */
export function tagsFrom(context: CommandContext): SnapshotTag[] {
  const values = (context.values.tag as string[] | undefined) ?? [];
  const tags: SnapshotTag[] = [];
  for (const text of values) {
    const equals = text.indexOf('=');
    if (equals <= 0) throw new AmikitError('USAGE', `invalid --tag '${text}': use KEY=VALUE`);
    const key = text.slice(0, equals);
    const value = text.slice(equals + 1);
    if (key.length > 127) throw new AmikitError('USAGE', `invalid --tag '${text}': the key is longer than 127 characters`);
    if (key.toLowerCase().startsWith('aws:')) throw new AmikitError('USAGE', `invalid --tag '${text}': keys starting with aws: are reserved`);
    if (value.length > 255) throw new AmikitError('USAGE', `invalid --tag '${key}=…': the value is longer than 255 characters`);
    if (tags.some((tag) => tag.key === key)) throw new AmikitError('USAGE', `--tag ${key} is given twice`);
    tags.push({ key, value });
  }
  if (tags.length > 50) throw new AmikitError('USAGE', `${tags.length} tags given; AWS allows at most 50`);
  return tags;
}

/** `--concurrency N`, 1–1024, or undefined for adaptive. */
export function concurrencyFrom(context: CommandContext): number | undefined {
  const text = context.values.concurrency as string | undefined;
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 1024) throw new AmikitError('USAGE', `invalid --concurrency '${text}': use an integer from 1 to 1024`);
  return value;
}

/** A description fit for StartSnapshot / RegisterImage (≤255 characters). */
export function descriptionFrom(context: CommandContext): string | undefined {
  const text = context.values.description as string | undefined;
  if (text !== undefined && text.length > 255) throw new AmikitError('USAGE', `--description is ${text.length} characters; AWS allows at most 255`);
  return text;
}

/** `--kms-key-id`: EBS direct StartSnapshot takes a key ARN only (not an id or alias). */
export function kmsKeyArnFrom(context: CommandContext): string | undefined {
  const text = context.values['kms-key-id'] as string | undefined;
  if (text === undefined) return undefined;
  if (!/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:(key|alias)\/[\w/-]+$/.test(text)) {
    throw new AmikitError('USAGE', `invalid --kms-key-id '${text}': StartSnapshot needs a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`);
  }
  return text;
}
