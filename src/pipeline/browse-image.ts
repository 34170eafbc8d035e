// `ls`, `cat`, `stat` and `export` on an image's root filesystem: the image opened read-only, its tree read
// from metadata, one path looked up (lstat semantics for ls/stat, symlinks followed for cat).
import { TarWriter } from '../layers/tar/tar-writer.js';
import { AmikitError } from '../shared/errors.js';
import type { FileTree } from '../tree/file-tree.js';
import type { FileNode, Node } from '../tree/node.js';
import { displayPath, joinImagePath, pathFromUtf8, splitImagePath } from '../tree/paths.js';
import { readLogicalContent } from '../tree/read-content.js';
import type { Ext4ChecksumReport, Ext4InodeDetails, Ext4Time } from '../ext4/read-ext4.js';
import { writeTreeAsTar } from './flatten-layers.js';
import { openImage, type OpenedImage } from './open-image.js';
import type { ProgressListener } from './progress-event.js';
import { withTempOutput } from './temp-output.js';

/** One `ls` row: what `ls -l` shows plus the inode number. */
export interface ListedEntry {
  name: string;
  inode: number;
  type: Ext4InodeDetails['type'];
  mode: number;
  links: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  mtime: Ext4Time;
  /** Symlink target (raw bytes as latin1 are not JSON-safe, so UTF-8 with replacement). */
  target?: string;
  /** Device numbers of a char/block device. */
  major?: number;
  minor?: number;
}

export interface ListImageResult {
  image: string;
  path: string;
  /** The entry itself when PATH is not a directory, else its children in byte order. */
  entries: ListedEntry[];
}

/** `stat`: the inode as stored, with the path it was found under. */
export interface StatImageResult extends Omit<Ext4InodeDetails, 'xattrs'> {
  image: string;
  path: string;
  target?: string;
  major?: number;
  minor?: number;
  /** xattr values as base64 (binary-safe), names in byte order. */
  xattrs: Array<{ name: string; valueBase64: string; sizeBytes: number }>;
}

export interface ExportImageResult {
  image: string;
  output: string;
  entries: number;
  storedBytes: number;
  checksums: Ext4ChecksumReport;
  warnings: string[];
}

/** Opens an image, reads its tree, runs `body`, closes the image. */
export async function withImageTree<T>(imagePath: string, body: (image: OpenedImage, tree: FileTree) => Promise<T>): Promise<T> {
  const image = await openImage(imagePath);
  try {
    return await body(image, await image.readTree());
  } finally {
    await image.close();
  }
}

/** A command-line path (UTF-8, relative ones taken from the root) as the tree's byte-string path. */
function normalise(path: string): string {
  return joinImagePath(splitImagePath(pathFromUtf8(path.startsWith('/') ? path : `/${path}`)));
}

/** A tree byte-string name as text for output. */
const asText = (raw: string): string => Buffer.from(raw, 'latin1').toString('utf8');

function notFound(image: string, path: string): AmikitError {
  return new AmikitError('INPUT_NOT_FOUND', `${image}: ${displayPath(path)}: no such file or directory in the image`, { data: { path, image } });
}

async function entryOf(image: OpenedImage, name: string, node: Node): Promise<ListedEntry> {
  const ino = image.ext4.inodeOf(node);
  if (ino === undefined) throw new AmikitError('INTERNAL', `${image.path}: ${name} has no inode number`);
  const details = await image.ext4.inodeDetails(ino);
  return {
    name: asText(name),
    inode: ino,
    type: details.type,
    mode: details.mode,
    links: details.links,
    uid: details.uid,
    gid: details.gid,
    sizeBytes: details.sizeBytes,
    mtime: details.times.mtime,
    ...(node.kind === 'symlink' ? { target: node.target.toString('utf8') } : {}),
    ...(node.kind === 'char-device' || node.kind === 'block-device' ? { major: node.major, minor: node.minor } : {}),
  };
}

/** `ls IMAGE [PATH]`: a directory's children (or the entry itself), each with its inode's facts. */
export async function listImage(imagePath: string, path = '/'): Promise<ListImageResult> {
  return withImageTree(imagePath, (image, tree) => listInImage(image, tree, path));
}

/** `ls` on an opened image and its tree (one open serves many paths). */
export async function listInImage(image: OpenedImage, tree: FileTree, path: string): Promise<ListImageResult> {
  const imagePath = image.path;
  const normal = normalise(path);
  const node = tree.lookup(normal);
  if (!node) throw notFound(imagePath, normal);
  const entries: ListedEntry[] = [];
  if (node.kind === 'dir') {
    for (const [name, child] of [...node.children].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')))) {
      entries.push(await entryOf(image, name, child));
    }
  } else {
    entries.push(await entryOf(image, splitImagePath(normal).pop() ?? '/', node));
  }
  return { image: imagePath, path: asText(normal), entries };
}

/** `stat IMAGE PATH`: the inode behind PATH (not following a final symlink). */
export async function statImage(imagePath: string, path: string): Promise<StatImageResult> {
  return withImageTree(imagePath, (image, tree) => statInImage(image, tree, path));
}

/** `stat` on an opened image and its tree. */
export async function statInImage(image: OpenedImage, tree: FileTree, path: string): Promise<StatImageResult> {
  const imagePath = image.path;
  const normal = normalise(path);
  const node = tree.lookup(normal);
  if (!node) throw notFound(imagePath, normal);
  const ino = image.ext4.inodeOf(node)!;
  const details = await image.ext4.inodeDetails(ino);
  const names = [...details.xattrs.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  return {
    ...details,
    image: imagePath,
    path: asText(normal),
    ...(node.kind === 'symlink' ? { target: node.target.toString('utf8') } : {}),
    ...(node.kind === 'char-device' || node.kind === 'block-device' ? { major: node.major, minor: node.minor } : {}),
    xattrs: names.map((name) => ({ name: asText(name), valueBase64: details.xattrs.get(name)!.toString('base64'), sizeBytes: details.xattrs.get(name)!.length })),
  };
}

/**
 * `cat IMAGE PATH`: streams a regular file's content (symlinks followed inside the image) to `write`.
 * Holes read as zeros.
 */
export async function catImage(imagePath: string, path: string, write: (chunk: Buffer) => Promise<void>): Promise<{ sizeBytes: number }> {
  return withImageTree(imagePath, async (_image, tree) => {
    const normal = normalise(path);
    const resolved = tree.resolve(normal);
    if (!resolved.node) throw notFound(imagePath, normal);
    if (resolved.node.kind !== 'file') {
      throw new AmikitError('USAGE', `${imagePath}: ${displayPath(normal)} is a ${resolved.node.kind === 'dir' ? 'directory' : resolved.node.kind}, not a regular file`, { data: { path: normal } });
    }
    const file: FileNode = resolved.node;
    for await (const chunk of readLogicalContent(file)) await write(chunk);
    return { sizeBytes: file.sizeBytes };
  });
}

/** `export IMAGE -o tree.tar`: the root filesystem as a deterministic PAX tar (the flatten writer, tree order). */
export async function exportImage(options: { imagePath: string; outputPath: string; onProgress?: ProgressListener; onWarning?: (message: string) => void }): Promise<ExportImageResult> {
  return withImageTree(options.imagePath, async (image, tree) => {
    const warnings: string[] = [];
    const counts = await withTempOutput(options.outputPath, async (output) => {
      let positionBytes = 0;
      const writer = new TarWriter({
        write: async (bytes: Buffer) => {
          await output.handle.write(bytes, 0, bytes.length, positionBytes);
          positionBytes += bytes.length;
        },
      });
      const written = await writeTreeAsTar(tree, writer, {
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        onWarning: (message) => {
          warnings.push(message);
          options.onWarning?.(message);
        },
      });
      await writer.finish();
      return written;
    });
    return { image: options.imagePath, output: options.outputPath, ...counts, checksums: image.ext4.checksums(), warnings };
  });
}
