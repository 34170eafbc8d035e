// Reads an OCI image layout (image-spec image-layout.md: oci-layout, index.json, blobs/<alg>/<hex>) into its
// layers in order: index → (nested indexes) → platform's manifest (manifest.md) → config rootfs.diff_ids.
import { createHash } from 'node:crypto';
import { AmikitError } from '../shared/errors.js';
import type { ByteSource } from '../tree/byte-source.js';
import { readSmallMember, type ImageFiles } from './image-files.js';
import type { Layer } from './layer.js';
import { openVerifiedLayer, sha256HexOf } from './verified-layer.js';

/** Image metadata documents (indexes, manifests, configs) are small; anything larger is not one. */
export const METADATA_LIMIT_BYTES = 64 * 1024 * 1024;
const MAX_INDEX_DEPTH = 8;

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
const CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);
/** Layer media types we can apply; the compression named here is only a hint, the bytes decide. */
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface OpenImageOptions {
  /** `os/arch[/variant]`; undefined means linux/amd64, or the only image when there is just one. */
  platform?: string;
  tmpDir: string;
  onWarning?(message: string): void;
}

export interface OpenedImage {
  layers: Layer[];
  /** Sources the layers read from (blobs kept open for uncompressed layers); close after the layers. */
  sources: ByteSource[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
  urls?: string[];
}

interface Candidate {
  descriptor: Descriptor;
  /** The descriptor's platform, or the config's when the descriptor has none. */
  platform?: Platform;
  /** "index.json → manifests[1] → manifests[0]": where it was found, for messages. */
  trail: string;
}

/**
 * Opens the layers of the image in `files` for the requested platform, verifying every blob it reads.
 * @throws AmikitError INPUT_FORMAT (bad JSON, unknown media types, no matching platform), DIGEST_MISMATCH.
 */
export async function openOciLayout(files: ImageFiles, options: OpenImageOptions): Promise<OpenedImage> {
  const layoutFile = await requireMember(files, 'oci-layout');
  const layout = parseJson(await readAndClose(layoutFile), `${files.name}:oci-layout`) as { imageLayoutVersion?: unknown };
  if (typeof layout?.imageLayoutVersion !== 'string') {
    throw new AmikitError('INPUT_FORMAT', `${files.name}:oci-layout: missing imageLayoutVersion`);
  }
  if (!layout.imageLayoutVersion.startsWith('1.')) {
    options.onWarning?.(`${files.name}: OCI layout version ${layout.imageLayoutVersion} is newer than 1.x; reading it as 1.0`);
  }
  const index = parseJson(await readAndClose(await requireMember(files, 'index.json')), `${files.name}:index.json`);
  const candidates: Candidate[] = [];
  await collectManifests(files, index, 'index.json', 0, candidates);
  const chosen = await choosePlatform(files, candidates, options);
  return openManifest(files, chosen.descriptor, chosen.trail, options);
}

/** Flattens an index (and nested indexes) into manifest descriptors, in document order. */
async function collectManifests(files: ImageFiles, index: unknown, trail: string, depth: number, out: Candidate[]): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) throw new AmikitError('INPUT_LIMIT', `${files.name}: ${trail}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
  const manifests = (index as { manifests?: unknown })?.manifests;
  if (!Array.isArray(manifests)) throw new AmikitError('INPUT_FORMAT', `${files.name}: ${trail} has no manifests array`);
  for (let i = 0; i < manifests.length; i++) {
    const where = `${trail} → manifests[${i}]`;
    const descriptor = parseDescriptor(manifests[i], `${files.name}: ${where}`);
    if (descriptor.mediaType !== undefined && INDEX_TYPES.has(descriptor.mediaType)) {
      const nested = parseJson(await readBlob(files, descriptor, where), `${files.name}: ${where}`);
      await collectManifests(files, nested, where, depth + 1, out);
    } else if (descriptor.mediaType === undefined || MANIFEST_TYPES.has(descriptor.mediaType)) {
      out.push(descriptor.platform ? { descriptor, platform: descriptor.platform, trail: where } : { descriptor, trail: where });
    }
    // Other media types (artifacts, signatures) are not images: skipped, as image-layout.md allows.
  }
}

/** Parses `os/arch[/variant]`. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new AmikitError('USAGE', `invalid platform '${text}': use os/arch[/variant], e.g. linux/arm64`);
  }
  return parts.length === 3 ? { os: parts[0]!, architecture: parts[1]!, variant: parts[2]! } : { os: parts[0]!, architecture: parts[1]! };
}

function platformText(platform: Platform | undefined): string {
  if (!platform) return 'unknown';
  return [platform.os, platform.architecture, platform.variant].filter((p) => p).join('/');
}

/** arm64 images are v8 whether or not they say so (containerd's platforms normalisation does the same). */
function normalisedVariant(platform: Platform): string | undefined {
  if (platform.architecture === 'arm64' && platform.variant === 'v8') return undefined;
  return platform.variant || undefined;
}

export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  const wantedVariant = normalisedVariant(wanted);
  return wantedVariant === undefined || wantedVariant === normalisedVariant(candidate);
}

async function choosePlatform(files: ImageFiles, candidates: Candidate[], options: OpenImageOptions): Promise<Candidate> {
  // Descriptors without a platform: the config says what the image is.
  for (const candidate of candidates) {
    if (!candidate.platform) candidate.platform = await configPlatform(files, candidate);
  }
  // Attestation manifests (buildx) carry platform unknown/unknown: never an image to boot.
  const images = candidates.filter((c) => c.platform?.os !== 'unknown' || c.platform.architecture !== 'unknown');
  if (images.length === 0) throw new AmikitError('INPUT_FORMAT', `${files.name}: the index lists no image manifest`);
  const wanted = parsePlatform(options.platform ?? 'linux/amd64');
  const match = images.find((c) => c.platform && platformMatches(wanted, c.platform));
  if (match) return match;
  if (options.platform === undefined && images.length === 1) {
    options.onWarning?.(`${files.name}: the only image is ${platformText(images[0]!.platform)}, not linux/amd64; using it`);
    return images[0]!;
  }
  const available = images.map((c) => platformText(c.platform)).join(', ');
  throw new AmikitError('INPUT_FORMAT', `${files.name}: no image for platform ${platformText(wanted)} (available: ${available})`, {
    data: { file: files.name, platform: platformText(wanted) },
  });
}

async function configPlatform(files: ImageFiles, candidate: Candidate): Promise<Platform | undefined> {
  const manifest = parseJson(await readBlob(files, candidate.descriptor, candidate.trail), `${files.name}: ${candidate.trail}`);
  const configDescriptor = parseDescriptor((manifest as { config?: unknown })?.config, `${files.name}: ${candidate.trail} config`);
  const config = parseJson(await readBlob(files, configDescriptor, `${candidate.trail} config`), `${files.name}: ${candidate.trail} config`) as
    | { os?: unknown; architecture?: unknown; variant?: unknown }
    | undefined;
  if (typeof config?.os !== 'string' || typeof config.architecture !== 'string') return undefined;
  return typeof config.variant === 'string'
    ? { os: config.os, architecture: config.architecture, variant: config.variant }
    : { os: config.os, architecture: config.architecture };
}

async function openManifest(files: ImageFiles, descriptor: Descriptor, trail: string, options: OpenImageOptions): Promise<OpenedImage> {
  const where = `${files.name}: ${trail}`;
  const manifest = parseJson(await readBlob(files, descriptor, trail), where) as { config?: unknown; layers?: unknown; mediaType?: unknown };
  if (manifest?.mediaType !== undefined && typeof manifest.mediaType === 'string' && !MANIFEST_TYPES.has(manifest.mediaType)) {
    throw new AmikitError('INPUT_FORMAT', `${where}: unsupported manifest media type ${manifest.mediaType}`);
  }
  const configDescriptor = parseDescriptor(manifest?.config, `${where} config`);
  if (configDescriptor.mediaType === undefined || !CONFIG_TYPES.has(configDescriptor.mediaType)) {
    throw new AmikitError('INPUT_FORMAT', `${where}: config media type ${JSON.stringify(configDescriptor.mediaType)} is not an image config`);
  }
  const config = parseJson(await readBlob(files, configDescriptor, `${trail} config`), `${where} config`);
  const diffIds = diffIdsOf(config, `${where} config`);
  if (!Array.isArray(manifest.layers)) throw new AmikitError('INPUT_FORMAT', `${where}: manifest has no layers array`);
  const layerDescriptors = manifest.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`));
  if (layerDescriptors.length !== diffIds.length) {
    throw new AmikitError(
      'INPUT_FORMAT',
      `${where}: manifest lists ${layerDescriptors.length} layers but config rootfs.diff_ids has ${diffIds.length}`,
    );
  }
  const opened: OpenedImage = { layers: [], sources: [] };
  try {
    for (let i = 0; i < layerDescriptors.length; i++) {
      const layerDescriptor = layerDescriptors[i]!;
      const label = `${files.name}: layer ${i} (${layerDescriptor.digest})`;
      if (layerDescriptor.mediaType === undefined || !LAYER_TYPES.has(layerDescriptor.mediaType)) {
        throw new AmikitError('INPUT_FORMAT', `${label}: unsupported layer media type ${JSON.stringify(layerDescriptor.mediaType)}`);
      }
      const blobHex = sha256HexOf(layerDescriptor.digest, label);
      const blob = await files.open(`blobs/sha256/${blobHex}`);
      if (!blob) {
        const urls = layerDescriptor.urls?.length ? ` (its descriptor points to ${layerDescriptor.urls.join(', ')})` : '';
        throw new AmikitError('INPUT_FORMAT', `${label}: blob is not in the layout${urls}`, { data: { layer: label } });
      }
      opened.sources.push(blob);
      opened.layers.push(
        await openVerifiedLayer(
          blob,
          { label, blobSha256Hex: blobHex, blobSizeBytes: layerDescriptor.size, diffIdSha256Hex: diffIds[i]! },
          options,
        ),
      );
    }
  } catch (error) {
    await closeOpened(opened);
    throw error;
  }
  return opened;
}

/** `config.rootfs.diff_ids` as hex digests, checked for type "layers". */
export function diffIdsOf(config: unknown, where: string): string[] {
  const rootfs = (config as { rootfs?: { type?: unknown; diff_ids?: unknown } } | undefined)?.rootfs;
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new AmikitError('INPUT_FORMAT', `${where}: no rootfs of type "layers" with diff_ids`);
  }
  return rootfs.diff_ids.map((d, i) => sha256HexOf(d, `${where} diff_ids[${i}]`));
}

export async function closeOpened(opened: OpenedImage): Promise<void> {
  for (const layer of opened.layers) await layer.close().catch(() => undefined);
  for (const source of opened.sources) await source.close().catch(() => undefined);
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | undefined;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new AmikitError('INPUT_FORMAT', `${where}: not a descriptor (needs digest and size)`);
  }
  if (d.mediaType !== undefined && typeof d.mediaType !== 'string') throw new AmikitError('INPUT_FORMAT', `${where}: mediaType is not a string`);
  const descriptor: Descriptor = { digest: d.digest, size: d.size };
  if (d.mediaType !== undefined) descriptor.mediaType = d.mediaType;
  const platform = d.platform as Partial<Platform> | undefined;
  if (platform && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    descriptor.platform =
      typeof platform.variant === 'string'
        ? { os: platform.os, architecture: platform.architecture, variant: platform.variant }
        : { os: platform.os, architecture: platform.architecture };
  }
  if (Array.isArray(d.urls)) descriptor.urls = d.urls.filter((u): u is string => typeof u === 'string');
  return descriptor;
}

/** Reads a metadata blob and checks its size and sha256 against the descriptor. */
async function readBlob(files: ImageFiles, descriptor: Descriptor, trail: string): Promise<Buffer> {
  const where = `${files.name}: ${trail}`;
  const hex = sha256HexOf(descriptor.digest, where);
  const source = await files.open(`blobs/sha256/${hex}`);
  if (!source) throw new AmikitError('INPUT_FORMAT', `${where}: blob ${descriptor.digest} is missing`);
  const bytes = await readAndClose(source);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== descriptor.size || actual !== hex) {
    throw new AmikitError(
      'DIGEST_MISMATCH',
      `${where}: blob ${descriptor.digest} (${descriptor.size} bytes) holds ${bytes.length} bytes with digest sha256:${actual}`,
      { data: { file: files.name, expected: descriptor.digest, actual: `sha256:${actual}` } },
    );
  }
  return bytes;
}

async function requireMember(files: ImageFiles, path: string): Promise<ByteSource> {
  const source = await files.open(path);
  if (!source) throw new AmikitError('INPUT_FORMAT', `${files.name}: no ${path}`);
  return source;
}

export async function readAndClose(source: ByteSource): Promise<Buffer> {
  try {
    return await readSmallMember(source, METADATA_LIMIT_BYTES);
  } finally {
    await source.close();
  }
}

export function parseJson(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new AmikitError('INPUT_FORMAT', `${where}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}
