// `amikit stat IMAGE PATH`: one inode of an image's root filesystem as stored (mode, owner, size, ns times,
// xattrs, extents, checksum).
import type { StatImageResult } from '../../pipeline/browse-image.js';
import type { Ext4Time } from '../../ext4/read-ext4.js';
import type { Command } from '../command.js';
import { modeString } from './ls.js';

export const statCommand: Command = {
  name: 'stat',
  summary: "show one inode of an image's root filesystem: mode, owner, size, times, xattrs, extents",
  usage: 'amikit stat IMAGE PATH [--json]',
  positionals: { min: 2, max: 2 },
  options: [],
  details: 'A final symlink is not followed (lstat). Times are UTC with nanoseconds; xattr values are shown as text when printable, else hex (base64 in --json). A missing PATH exits 2.',
  async run(context) {
    const { statImage } = await import('../../pipeline/browse-image.js');
    const result = await statImage(context.positionals[0]!, context.positionals[1]!);
    for (const line of renderStat(result)) context.print(line);
    return result;
  },
};

function time(t: Ext4Time): string {
  return `${new Date(t.sec * 1000).toISOString().replace(/\.\d+Z$/, '')}.${String(t.nsec).padStart(9, '0')}Z (${t.sec}.${String(t.nsec).padStart(9, '0')})`;
}

export function renderStat(r: StatImageResult): string[] {
  const lines = [
    `  File: ${r.path}${r.target !== undefined ? ` -> ${r.target}` : ''}`,
    `  Type: ${r.type}${r.major !== undefined ? ` (device ${r.major}, ${r.minor})` : ''}`,
    ` Inode: ${r.inode}  Links: ${r.links}  Generation: ${r.generation}  Flags: 0x${r.flags.toString(16)}  Checksum: ${r.checksum}`,
    `Access: (${r.mode.toString(8).padStart(4, '0')}/${modeString(r.type, r.mode)})  Uid: ${r.uid}  Gid: ${r.gid}`,
    `  Size: ${r.sizeBytes}  Blocks (512 B): ${r.blocks512}`,
    ` atime: ${time(r.times.atime)}`,
    ` mtime: ${time(r.times.mtime)}`,
    ` ctime: ${time(r.times.ctime)}`,
  ];
  if (r.times.crtime) lines.push(`crtime: ${time(r.times.crtime)}`);
  lines.push(`xattrs: ${r.xattrs.length === 0 ? 'none' : ''}`);
  for (const x of r.xattrs) {
    const value = Buffer.from(x.valueBase64, 'base64');
    const printable = /^[\x20-\x7e]*\0?$/.test(value.toString('latin1'));
    lines.push(`  ${x.name} (${x.sizeBytes} B) = ${printable ? JSON.stringify(value.toString('latin1').replace(/\0$/, '')) : `0x${value.toString('hex')}`}`);
  }
  lines.push(`extents: ${r.extents.length === 0 ? 'none' : `${r.extents.length} (tree depth ${r.extentDepth})`}`);
  for (const e of r.extents) {
    lines.push(`  logical ${e.logicalBlock}-${e.logicalBlock + e.blockCount - 1} → physical ${e.physicalBlock}-${e.physicalBlock + e.blockCount - 1}${e.uninit ? ' (uninitialised)' : ''}`);
  }
  return lines;
}
