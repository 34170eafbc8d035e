// Kernels and boot menu of an image tree: kernel images and initrds in /boot and /usr/lib/modules, Boot
// Loader Specification entries (loader/entries/*.conf, on the ESP or in /boot) and GRUB menu entries.
import { ImageEditor } from '../customize/image-editor.js';
import { compareNames, type FileTree } from '../tree/file-tree.js';
import { displayPath } from '../tree/paths.js';
import { textLines, treeText } from './tree-text.js';

export interface KernelFact {
  version: string;
  /** Kernel image paths found for this version (e.g. /boot/vmlinuz-6.1.0-18-amd64). */
  images: string[];
  initrds: string[];
  /** The modules directory, when present. */
  modules?: string;
}

export interface BootEntryFact {
  /** "bls" for a Boot Loader Specification entry file, "grub" for a grub.cfg menuentry. */
  kind: 'bls' | 'grub';
  /** Where it was found: an image path, prefixed "esp:" for a file on the EFI system partition. */
  source: string;
  title: string;
  linux?: string;
  initrd: string[];
  options?: string;
  version?: string;
}

/** Kernel image name prefixes distributions use in /boot. */
const KERNEL_IMAGE_PREFIXES = ['vmlinuz-', 'vmlinux-', 'kernel-', 'Image-', 'bzImage-'];
const INITRD_PATTERNS: Array<(version: string) => string> = [
  (v) => `initrd.img-${v}`,
  (v) => `initramfs-${v}.img`,
  (v) => `initrd-${v}`,
  (v) => `initramfs-${v}`,
];

/** Kernels installed in the tree, by version (byte order). */
export function findKernels(edit: ImageEditor): KernelFact[] {
  const byVersion = new Map<string, KernelFact>();
  const entry = (version: string): KernelFact => {
    let fact = byVersion.get(version);
    if (!fact) byVersion.set(version, (fact = { version, images: [], initrds: [] }));
    return fact;
  };
  const bootNames = new Set(list(edit, '/boot').map((e) => e.name));
  for (const name of bootNames) {
    const prefix = KERNEL_IMAGE_PREFIXES.find((p) => name.startsWith(p) && name.length > p.length);
    if (prefix && isFileOrLink(edit, `/boot/${name}`)) entry(name.slice(prefix.length)).images.push(`/boot/${name}`);
  }
  // /lib/modules is /usr/lib/modules on merged-/usr systems: the canonical path is visited once.
  const moduleDirs = new Set<string>();
  for (const base of ['/usr/lib/modules', '/lib/modules']) {
    const resolved = safeResolve(edit, base);
    if (resolved?.node?.kind === 'dir') moduleDirs.add(resolved.path);
  }
  for (const base of [...moduleDirs].sort(compareNames)) {
    for (const child of list(edit, base)) {
      if (child.node.kind !== 'dir') continue;
      const fact = entry(child.name);
      fact.modules ??= child.path;
      // Kernels packaged the systemd way (kernel-install, Fedora, Arch) keep the image beside the modules.
      if (isFileOrLink(edit, `${child.path}/vmlinuz`)) fact.images.push(`${child.path}/vmlinuz`);
    }
  }
  for (const fact of byVersion.values()) {
    for (const pattern of INITRD_PATTERNS) {
      const name = pattern(fact.version);
      if (bootNames.has(name) && isFileOrLink(edit, `/boot/${name}`)) fact.initrds.push(`/boot/${name}`);
    }
  }
  return [...byVersion.values()].sort((a, b) => compareNames(a.version, b.version)).map((fact) => ({
    ...fact,
    version: displayPath(fact.version),
    images: fact.images.map(displayPath),
    initrds: fact.initrds.map(displayPath),
    ...(fact.modules !== undefined ? { modules: displayPath(fact.modules) } : {}),
  }));
}

/**
 * Boot entries: BLS files on the ESP (`esp`, when the image has one) and in the root tree's /boot, /efi
 * and /boot/efi, then the menuentries of /boot/grub/grub.cfg and /boot/grub2/grub.cfg.
 */
export async function findBootEntries(edit: ImageEditor, esp?: FileTree): Promise<BootEntryFact[]> {
  const entries: BootEntryFact[] = [];
  const espEdit = esp ? new ImageEditor(esp, () => undefined, 0) : undefined;
  const blsSources: Array<[ImageEditor, string, string]> = [];
  if (espEdit) blsSources.push([espEdit, '/loader/entries', 'esp:']);
  for (const dir of ['/boot/loader/entries', '/efi/loader/entries', '/boot/efi/loader/entries']) blsSources.push([edit, dir, '']);
  const seen = new Set<string>();
  for (const [from, dir, prefix] of blsSources) {
    for (const child of list(from, dir)) {
      if (!child.name.endsWith('.conf')) continue;
      const file = await treeText(from, child.path);
      if (!file || seen.has(prefix + file.path)) continue;
      seen.add(prefix + file.path);
      entries.push(parseBlsEntry(file.text, prefix + displayPath(file.path), child.name));
    }
  }
  for (const path of ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg']) {
    const file = await treeText(edit, path);
    if (!file || seen.has(file.path)) continue;
    seen.add(file.path);
    entries.push(...parseGrubMenu(file.text, displayPath(file.path)));
  }
  return entries;
}

/** One Boot Loader Specification type #1 entry: `key value` lines; `initrd` may repeat. */
export function parseBlsEntry(text: string, source: string, fileName: string): BootEntryFact {
  const fact: BootEntryFact = { kind: 'bls', source, title: utf8(fileName.replace(/\.conf$/, '')), initrd: [] };
  const options: string[] = [];
  for (const line of textLines(text)) {
    const match = /^\s*([a-z-]+)\s+(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const value = utf8(match[2]!);
    if (match[1] === 'title') fact.title = value;
    else if (match[1] === 'linux') fact.linux = value;
    else if (match[1] === 'initrd') fact.initrd.push(value);
    else if (match[1] === 'options') options.push(value);
    else if (match[1] === 'version') fact.version = value;
  }
  if (options.length > 0) fact.options = options.join(' ');
  return fact;
}

/**
 * The menuentries of a grub.cfg, submenus flattened as "Submenu>Entry" (the form GRUB_DEFAULT takes).
 * Only the script's literal text is read: nothing is evaluated, so entries made by loops or variables
 * appear as written.
 */
export function parseGrubMenu(text: string, source: string): BootEntryFact[] {
  const entries: BootEntryFact[] = [];
  const stack: Array<{ submenu?: string; entry?: BootEntryFact }> = [];
  for (const raw of textLines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const opener = /^(menuentry|submenu)\s+(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+))(.*)\{\s*$/.exec(line);
    if (opener) {
      const title = utf8(opener[2] ?? opener[3]?.replace(/\\(.)/g, '$1') ?? opener[4] ?? '');
      const parents = stack.map((frame) => frame.submenu).filter((name): name is string => name !== undefined);
      if (opener[1] === 'submenu') stack.push({ submenu: title });
      else {
        const entry: BootEntryFact = { kind: 'grub', source, title: [...parents, title].join('>'), initrd: [] };
        entries.push(entry);
        stack.push({ entry });
      }
      continue;
    }
    if (line.endsWith('{')) {
      stack.push({}); // if/function blocks: tracked only so their closing brace is not taken for ours
      continue;
    }
    if (line === '}' || line.startsWith('}')) {
      stack.pop();
      continue;
    }
    const entry = [...stack].reverse().find((frame) => frame.entry)?.entry;
    if (!entry) continue;
    const command = /^(linux|linuxefi|linux16|initrd|initrdefi|initrd16)\s+(\S+)\s*(.*)$/.exec(line);
    if (!command) continue;
    if (command[1]!.startsWith('linux')) {
      entry.linux = utf8(command[2]!);
      if (command[3]) entry.options = utf8(command[3]);
    } else {
      entry.initrd.push(...[command[2]!, ...command[3]!.split(/\s+/).filter((word) => word !== '')].map(utf8));
    }
  }
  return entries;
}

function utf8(byteString: string): string {
  return Buffer.from(byteString, 'latin1').toString('utf8');
}

function safeResolve(edit: ImageEditor, path: string): ReturnType<ImageEditor['resolve']> {
  try {
    return edit.resolve(path, true);
  } catch {
    return undefined;
  }
}

function list(edit: ImageEditor, path: string): ReturnType<ImageEditor['list']> {
  try {
    return edit.list(path);
  } catch {
    return [];
  }
}

/** A regular file, or a symlink to one inside the image (Debian's /boot/vmlinuz links are checked too). */
function isFileOrLink(edit: ImageEditor, path: string): boolean {
  return safeResolve(edit, path)?.node?.kind === 'file';
}
