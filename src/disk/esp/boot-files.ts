// Finds what the EFI system partition needs in the image's own tree — systemd-boot and the newest kernel
// with its initrd — and lays out the ESP's files: \EFI\BOOT\BOOTX<arch>.EFI, loader.conf and one Boot
// Loader Specification type #1 entry (uapi-group.org/specifications/specs/boot_loader_specification).
import { AmikitError } from '../../shared/errors.js';
import type { FileTree } from '../../tree/file-tree.js';
import type { FileNode } from '../../tree/node.js';
import { readLogicalContent, readWholeContent } from '../../tree/read-content.js';
import type { FatFile } from './write-fat32.js';

export type DiskArchitecture = 'x86-64' | 'arm64';

const EFI_SUFFIX: Record<DiskArchitecture, string> = { 'x86-64': 'x64', arm64: 'aa64' };

export interface BootFiles {
  kernelVersion: string;
  kernelPath: string;
  initrdPath: string | undefined;
  loaderPath: string;
  title: string;
  /** Builds the ESP's files once the kernel command line is known. */
  espFiles(options: string): FatFile[];
  /** The entry file's text for `options`. */
  entryText(options: string): string;
}

/**
 * @throws AmikitError INPUT_FORMAT naming what is missing (boot loader or kernel) and how to add it.
 */
export async function findBootFiles(tree: FileTree, architecture: DiskArchitecture): Promise<BootFiles> {
  const suffix = EFI_SUFFIX[architecture];
  const loaderPath = `/usr/lib/systemd/boot/efi/systemd-boot${suffix}.efi`;
  const loader = fileAt(tree, loaderPath);
  if (!loader) {
    throw new AmikitError('INPUT_FORMAT', `the image has no UEFI boot loader: ${loaderPath} is missing (add a layer with systemd-boot, e.g. Debian's systemd-boot package, or build with --layout fs)`);
  }
  const kernel = newestKernel(tree);
  if (!kernel) {
    throw new AmikitError('INPUT_FORMAT', 'the image has no kernel: no /boot/vmlinuz-* or /usr/lib/modules/*/vmlinuz (add a layer with a kernel package, e.g. linux-image-amd64, or build with --layout fs)');
  }
  const initrdPath = [`/boot/initrd.img-${kernel.version}`, `/boot/initramfs-${kernel.version}.img`, `/usr/lib/modules/${kernel.version}/initrd`].find((path) => fileAt(tree, path));
  const title = await osTitle(tree);
  const entryText = (options: string): string =>
    [`title ${title}`, `version ${kernel.version}`, `linux /vmlinuz-${kernel.version}`, ...(initrdPath ? [`initrd /initrd.img-${kernel.version}`] : []), `options ${options}`, ''].join('\n');
  const fromTree = (espPath: string, node: FileNode): FatFile => ({ path: espPath, sizeBytes: node.sizeBytes, read: () => readLogicalContent(node) });
  const fromText = (espPath: string, text: string): FatFile => {
    const bytes = Buffer.from(text, 'utf8');
    return { path: espPath, sizeBytes: bytes.length, read: async function* () { yield bytes; } };
  };
  return {
    kernelVersion: kernel.version,
    kernelPath: kernel.path,
    initrdPath,
    loaderPath,
    title,
    entryText,
    espFiles: (options) => [
      fromTree(`EFI/BOOT/BOOT${suffix.toUpperCase()}.EFI`, loader),
      fromText('loader/loader.conf', 'default amikit.conf\ntimeout 0\n'),
      fromText('loader/entries/amikit.conf', entryText(options)),
      fromTree(`vmlinuz-${kernel.version}`, kernel.node),
      ...(initrdPath ? [fromTree(`initrd.img-${kernel.version}`, fileAt(tree, initrdPath)!)] : []),
    ],
  };
}

/** A regular file at `path`, following symlinks inside the image. */
function fileAt(tree: FileTree, path: string): FileNode | undefined {
  try {
    const node = tree.resolve(path).node;
    return node?.kind === 'file' ? node : undefined;
  } catch {
    return undefined;
  }
}

function newestKernel(tree: FileTree): { version: string; path: string; node: FileNode } | undefined {
  const found: Array<{ version: string; path: string; node: FileNode }> = [];
  for (const [name] of tree.dir('/boot')?.children ?? []) {
    const match = /^vmlinuz-(.+)$/.exec(name);
    const node = match ? fileAt(tree, `/boot/${name}`) : undefined;
    if (match && node) found.push({ version: match[1]!, path: `/boot/${name}`, node });
  }
  for (const [version] of tree.dir('/usr/lib/modules')?.children ?? []) {
    const node = fileAt(tree, `/usr/lib/modules/${version}/vmlinuz`);
    if (node && !found.some((kernel) => kernel.version === version)) found.push({ version, path: `/usr/lib/modules/${version}/vmlinuz`, node });
  }
  found.sort((a, b) => compareVersions(a.version, b.version));
  return found[found.length - 1];
}

/** Orders kernel versions like `sort -V`: digit runs numerically, the rest as text. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): string[] => v.match(/\d+|\D+/g) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x) ? Number(x) : NaN;
    const ny = /^\d/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny) && nx !== ny) return nx - ny;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

async function osTitle(tree: FileTree): Promise<string> {
  const release = fileAt(tree, '/etc/os-release') ?? fileAt(tree, '/usr/lib/os-release');
  if (release && release.sizeBytes < 64 * 1024) {
    const match = /^PRETTY_NAME=(.*)$/m.exec((await readWholeContent(release)).toString('utf8'));
    if (match) return match[1]!.replace(/^["']|["']$/g, '');
  }
  return 'Linux';
}
