// Makes the image's /etc/fstab root entry agree with the disk amikit writes: a root entry that names a
// device the disk does not have fails the guest's boot (a 90 s wait, then emergency mode).
import type { FileTree } from '../tree/file-tree.js';
import { readWholeContent } from '../tree/read-content.js';

export interface RootFstabResult {
  /** The filesystem label to use: the one fstab names (LABEL=…) when no label was asked for. */
  label: string | undefined;
  /** The root entry's device as it was, when amikit rewrote it to PARTUUID=…. */
  rewrittenFrom?: string;
}

/**
 * LABEL=X keeps the entry and labels the filesystem X (unless --label asked for another, then the entry
 * is rewritten); PARTUUID= or UUID= of ours, and an entry-less fstab, stay; anything else (a /dev path,
 * a foreign UUID) becomes PARTUUID=<root partition>, which is stable on EC2 whatever the device name.
 */
export async function agreeRootFstab(tree: FileTree, options: { label: string | undefined; rootPartUuid: string; filesystemUuid?: string }): Promise<RootFstabResult> {
  const node = tree.lookup('/etc/fstab');
  if (node?.kind !== 'file') return { label: options.label };
  const text = (await readWholeContent(node)).toString('utf8');
  const lines = text.split('\n');
  const index = lines.findIndex((line) => {
    const fields = line.trim().split(/\s+/);
    return !line.trim().startsWith('#') && fields.length >= 2 && fields[1] === '/';
  });
  if (index < 0) return { label: options.label };
  const fields = lines[index]!.trim().split(/\s+/);
  const device = fields[0]!;
  const labelMatch = /^LABEL=(.+)$/.exec(device);
  if (labelMatch && (options.label === undefined || options.label === labelMatch[1])) return { label: labelMatch[1] };
  const ours = [`PARTUUID=${options.rootPartUuid}`, ...(options.filesystemUuid ? [`UUID=${options.filesystemUuid}`] : [])];
  if (ours.some((spec) => spec.toLowerCase() === device.toLowerCase())) return { label: options.label };
  fields[0] = `PARTUUID=${options.rootPartUuid}`;
  lines[index] = fields.join('\t');
  tree.set('/etc/fstab', { ...node, content: { kind: 'bytes', bytes: Buffer.from(lines.join('\n'), 'utf8') }, sizeBytes: Buffer.byteLength(lines.join('\n')), segments: undefined });
  return { label: options.label, rewrittenFrom: device };
}
