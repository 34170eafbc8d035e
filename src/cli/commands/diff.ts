// `amikit diff A B`: added, removed and changed paths between two root volumes, and what changed in each.
import type { DiffImagesResult } from '../../pipeline/diff-images.js';
import type { Command } from '../command.js';
import { layerOptionsFrom } from './layer-options.js';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'compare two root volumes path by path: added, removed, changed (content, mode, owner, xattrs, link target, device, type)',
  usage: 'amikit diff A B [--mtime] [--json]',
  positionals: { min: 2, max: 2 },
  options: [
    { name: 'mtime', type: 'boolean', help: 'also report modification-time differences (off: rebuilds differ there and nowhere else)' },
    { name: 'platform', type: 'string', valueName: 'OS/ARCH[/VARIANT]', help: 'image platform to pick from a multi-platform OCI index (default linux/amd64)' },
    { name: 'tmp-dir', type: 'string', valueName: 'DIR', help: 'where a compressed input is decompressed to (default: the OS temp dir)' },
  ],
  details: [
    'A and B are images (raw or .img.zst, filesystem or GPT disk) or anything --layer accepts. Contents are compared only for regular files of equal size, as',
    'logical bytes (holes read as zeros). An added or removed directory is one line with the number of',
    'entries below it. Exit status: 0 whether or not the inputs differ (differences are the result, not a',
    'failure; test "changed + added + removed" in the --json result); 2 for bad input, 1 for other failures.',
  ].join('\n'),
  async run(context) {
    const { layers: _layers, ...loadOptions } = layerOptionsFrom(context);
    const { diffImages } = await import('../../pipeline/diff-images.js');
    const result = await diffImages({
      ...loadOptions,
      inputA: context.positionals[0]!,
      inputB: context.positionals[1]!,
      ...(context.values.mtime === true ? { mtime: true } : {}),
    });
    for (const line of renderDiff(result)) context.print(line);
    return result;
  },
};

/** One line per difference (`+` added, `-` removed, `~` changed), then a summary line. */
export function renderDiff(result: DiffImagesResult): string[] {
  const lines: string[] = [];
  for (const entry of result.entries) {
    if (entry.change === 'added') lines.push(`+ ${entry.path}${entry.kindB === 'dir' ? `/ (${entry.entriesBelow} entries below)` : ''}`);
    else if (entry.change === 'removed') lines.push(`- ${entry.path}${entry.kindA === 'dir' ? `/ (${entry.entriesBelow} entries below)` : ''}`);
    else lines.push(`~ ${entry.path}: ${entry.details!.join('; ')}`);
  }
  lines.push(`${result.added} added, ${result.removed} removed, ${result.changed} changed`);
  return lines;
}
