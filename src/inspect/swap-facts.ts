// Swap an image is configured to use: active /etc/fstab swap lines, swap files present (named by fstab or
// at the well-known places), systemd .swap units and zram-generator configuration.
import type { ImageEditor } from '../customize/image-editor.js';
import { WELL_KNOWN_SWAPFILES } from '../customize/ops/swap.js';
import { displayPath } from '../tree/paths.js';
import { resolveFile, safeGlob, textLines, treeText } from './tree-text.js';

export interface SwapFacts {
  /** Uncommented fstab lines of type swap. */
  fstab: Array<{ device: string; options: string }>;
  /** Swap files that exist, with their logical size. */
  files: Array<{ path: string; sizeBytes: number }>;
  /** systemd swap units (unit files ending in .swap, /etc and /usr/lib). */
  units: string[];
  /** zram-generator configuration files present (swap on compressed RAM at boot). */
  zram: string[];
}

const UNIT_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

export async function findSwap(edit: ImageEditor): Promise<SwapFacts> {
  const fstab: SwapFacts['fstab'] = [];
  const candidates = [...WELL_KNOWN_SWAPFILES];
  const file = await treeText(edit, '/etc/fstab');
  for (const line of file ? textLines(file.text) : []) {
    const fields = line.trim().split(/\s+/);
    if (line.trimStart().startsWith('#') || fields.length < 3 || fields[2] !== 'swap') continue;
    fstab.push({ device: displayPath(fields[0]!), options: displayPath(fields[3] ?? 'defaults') });
    if (fields[0]!.startsWith('/')) candidates.unshift(fields[0]!);
  }
  const files: SwapFacts['files'] = [];
  for (const path of candidates) {
    const found = resolveFile(edit, path);
    if (found && !files.some((f) => f.path === displayPath(found.path))) files.push({ path: displayPath(found.path), sizeBytes: found.node.sizeBytes });
  }
  const units = new Set<string>();
  for (const dir of UNIT_DIRS) {
    for (const path of [...safeGlob(edit, `${dir}/*.swap`), ...safeGlob(edit, `${dir}/*.target.wants/*.swap`)]) units.add(displayPath(path));
  }
  const zram = ['/etc/systemd/zram-generator.conf', '/usr/lib/systemd/zram-generator.conf']
    .filter((path) => resolveFile(edit, path) !== undefined)
    .concat(safeGlob(edit, '/etc/systemd/zram-generator.conf.d/*.conf').map(displayPath));
  return { fstab, files, units: [...units].sort(), zram };
}
