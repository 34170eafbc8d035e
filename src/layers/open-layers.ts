// Turns the command line's layer inputs into layers, detecting each kind from its content (never its name):
// plain/gzip/zstd tars, directories, docker-save archives (moby tarexport) and OCI image layouts (image-layout.md).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AmikitError, ioError } from '../shared/errors.js';
import { readRange, type ByteSource } from '../tree/byte-source.js';
import { FileByteSource } from './byte-sources/file-byte-source.js';
import { COMPRESSION_MAGIC_BYTES, detectCompression } from './decompress/detect-compression.js';
import { spoolDecompressed } from './decompress/spool-decompressed.js';
import { DirectoryLayer } from './directory-layer.js';
import { openDockerArchive } from './docker-archive.js';
import { directoryImageFiles, tarImageFiles, type ImageFiles } from './image-files.js';
import type { Layer } from './layer.js';
import { closeOpened, openOciLayout, parsePlatform, type OpenedImage } from './oci-layout.js';
import { readTarEntries, type TarEntry } from './tar/read-tar-entries.js';
import { decodeTarHeader, isZeroBlock, TAR_BLOCK_BYTES } from './tar/tar-header.js';
import { TarLayer } from './tar-layer.js';

export interface OpenLayersOptions {
  /** OCI platform `os/arch[/variant]` for multi-platform images; default linux/amd64. */
  platform?: string;
  /** Where compressed layers are decompressed to (unlinked spool files). */
  tmpDir: string;
  /** For a docker-save archive holding several images: the RepoTag to use (default the first, with a warning). */
  image?: string;
  onWarning?(message: string): void;
  /**
   * Tried first for every input file: opens it when it is a disk or filesystem image (the pipeline passes
   * the image reader in, so this stage stays below it) and returns its layers, or undefined when it is not one.
   */
  openImage?(path: string): Promise<{ layers: Layer[]; close(): Promise<void> } | undefined>;
}

export interface OpenedLayers {
  /** Bottom first: the inputs in order, an image's layers expanded in place. */
  layers: Layer[];
  /** Releases every file and spool; content references into the layers die with it. */
  close(): Promise<void>;
}

/** Entries an image archive holds at most before we stop treating it as one (real ones hold a few dozen). */
const MAX_ARCHIVE_MEMBERS = 100_000;

const HEX64 = '[0-9a-f]{64}';
/** Member paths of a docker save archive (legacy and OCI-shaped, moby image/tarexport) or an OCI layout tar. */
const IMAGE_ARCHIVE_MEMBER = new RegExp(
  `^(?:manifest\\.json|repositories|index\\.json|oci-layout|${HEX64}\\.json|${HEX64}(?:/(?:layer\\.tar|json|VERSION))?` +
    `|blobs|blobs/[a-z0-9]+|blobs/[a-z0-9]+/[0-9a-f]+)$`,
);

/**
 * Opens `specs` (bottom first). On failure everything opened so far is closed again.
 * @throws AmikitError INPUT_NOT_FOUND for a missing path, INPUT_FORMAT for an input of no known kind, and
 *   the errors of the archive readers (DIGEST_MISMATCH, …).
 */
export async function openLayers(specs: string[], options: OpenLayersOptions): Promise<OpenedLayers> {
  if (options.platform !== undefined) parsePlatform(options.platform);
  const layers: Layer[] = [];
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    const pending = closers.splice(0).reverse();
    for (const closer of pending) await closer().catch(() => undefined);
  };
  try {
    for (const spec of specs) {
      const opened = await openOne(spec, options);
      closers.push(opened.close);
      layers.push(...opened.layers);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { layers, close };
}

async function openOne(spec: string, options: OpenLayersOptions): Promise<{ layers: Layer[]; close(): Promise<void> }> {
  let kind: 'dir' | 'file';
  try {
    const stats = await stat(spec);
    if (stats.isDirectory()) kind = 'dir';
    else if (stats.isFile()) kind = 'file';
    else throw notALayer(spec);
  } catch (error) {
    if (error instanceof AmikitError) throw error;
    throw ioError('open layer', spec, error);
  }

  if (kind === 'dir') {
    if (await isFile(join(spec, 'oci-layout'))) {
      return fromImage(directoryImageFiles(spec), 'oci', options);
    }
    const layer = await DirectoryLayer.open(spec, options.onWarning ? { onWarning: options.onWarning } : {});
    return { layers: [layer], close: () => layer.close() };
  }

  const image = await options.openImage?.(spec);
  if (image) return image;
  const file = await FileByteSource.open(spec);
  let tar: ByteSource = file;
  try {
    const compression = detectCompression(await readRange(file, 0, Math.min(COMPRESSION_MAGIC_BYTES, file.sizeBytes)));
    if (compression !== 'none') {
      const spool = await spoolDecompressed(file, compression, { tmpDir: options.tmpDir });
      tar = spool.source;
      await file.close();
    }
    if (!(await looksLikeTar(tar))) throw notALayer(spec);
    const archive = await classifyTar(tar, options);
    if (archive) return fromImage(tarImageFiles(tar, archive.members, { ownsSource: true }), archive.kind, options);
    const layer = new TarLayer(tar, { name: spec, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
    return { layers: [layer], close: () => layer.close() };
  } catch (error) {
    await tar.close().catch(() => undefined);
    await file.close().catch(() => undefined);
    throw error;
  }
}

async function fromImage(
  files: ImageFiles,
  kind: 'oci' | 'docker',
  options: OpenLayersOptions,
): Promise<{ layers: Layer[]; close(): Promise<void> }> {
  let opened: OpenedImage;
  try {
    opened = kind === 'oci' ? await openOciLayout(files, options) : await openDockerArchive(files, options);
  } catch (error) {
    await files.close();
    throw error;
  }
  return {
    layers: opened.layers,
    close: async () => {
      await closeOpened(opened);
      await files.close();
    },
  };
}

/**
 * Walks the headers once to see whether the tar is an image archive rather than a layer. A layer tar is
 * recognised at its first member outside the archive shape, so only image archives are walked in full.
 */
async function classifyTar(tar: ByteSource, options: OpenLayersOptions): Promise<{ kind: 'oci' | 'docker'; members: TarEntry[] } | undefined> {
  const members: TarEntry[] = [];
  const names = new Set<string>();
  const onWarning = (message: string): void => options.onWarning?.(message);
  for await (const entry of readTarEntries(tar, { onWarning })) {
    const name = entry.path.split('/').filter((p) => p !== '' && p !== '.').join('/');
    if (name !== '' && !IMAGE_ARCHIVE_MEMBER.test(name)) return undefined;
    if (members.length >= MAX_ARCHIVE_MEMBERS) return undefined;
    members.push(entry);
    names.add(name);
  }
  if (names.has('manifest.json')) return { kind: 'docker', members };
  if (names.has('oci-layout') && names.has('index.json')) return { kind: 'oci', members };
  return undefined;
}

/** An empty archive (zero block) or a first header with a valid checksum. */
async function looksLikeTar(source: ByteSource): Promise<boolean> {
  if (source.sizeBytes < TAR_BLOCK_BYTES) return false;
  const block = await readRange(source, 0, TAR_BLOCK_BYTES);
  if (isZeroBlock(block)) return true;
  try {
    decodeTarHeader(block, source.name);
    return true;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function notALayer(spec: string): AmikitError {
  return new AmikitError('INPUT_FORMAT', `${spec}: not a tar, tar.gz, tar.zst, directory, docker-save archive or OCI layout`, {
    data: { path: spec },
  });
}
