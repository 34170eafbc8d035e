// `amikit ls IMAGE [PATH] [-l]`: a directory of an image's root filesystem, read without mounting it.
import type { ListedEntry } from '../../pipeline/browse-image.js';
import type { Command } from '../command.js';

export const lsCommand: Command = {
  name: 'ls',
  summary: "list a directory of an image's root filesystem (raw or .img.zst, bare ext4 or GPT disk)",
  usage: 'amikit ls IMAGE [PATH] [-l] [--json]',
  positionals: { min: 1, max: 2 },
  options: [{ name: 'long', short: 'l', type: 'boolean', help: 'inode, mode, links, owner, size, mtime (UTC) and symlink targets' }],
  details: [
    'PATH defaults to /; a PATH that is not a directory lists itself (a final symlink is not followed).',
    'Names are listed in byte order; --json gives every field with nanosecond mtimes. A missing PATH exits 2.',
  ].join('\n'),
  async run(context) {
    const { listImage } = await import('../../pipeline/browse-image.js');
    const result = await listImage(context.positionals[0]!, context.positionals[1] ?? '/');
    const long = context.values.long === true;
    for (const entry of result.entries) context.print(long ? longLine(entry) : entry.name);
    return result;
  },
};

const TYPE_LETTERS: Record<ListedEntry['type'], string> = { file: '-', dir: 'd', symlink: 'l', 'char-device': 'c', 'block-device': 'b', fifo: 'p', socket: 's' };

/** `ls -l` permission string: rwx triplets with set-id and sticky bits shown as s/S and t/T. */
export function modeString(type: ListedEntry['type'], mode: number): string {
  const bit = (mask: number, letter: string): string => ((mode & mask) !== 0 ? letter : '-');
  const special = (exec: number, set: number, on: string, off: string): string =>
    (mode & set) !== 0 ? ((mode & exec) !== 0 ? on : off) : bit(exec, 'x');
  return (
    TYPE_LETTERS[type] +
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't', 'T')
  );
}

function longLine(entry: ListedEntry): string {
  const when = new Date(entry.mtime.sec * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  const size = entry.major !== undefined ? `${entry.major}, ${entry.minor}` : String(entry.sizeBytes);
  const target = entry.target !== undefined ? ` -> ${entry.target}` : '';
  return `${String(entry.inode).padStart(8)} ${modeString(entry.type, entry.mode)} ${String(entry.links).padStart(3)} ${String(entry.uid).padStart(5)} ${String(entry.gid).padStart(5)} ${size.padStart(10)} ${when} ${entry.name}${target}`;
}
