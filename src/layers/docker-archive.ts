// Reads a `docker save` archive (moby image/tarexport: manifest.json with Config/RepoTags/Layers), both the
// legacy `<id>/layer.tar` layout and the OCI-shaped `blobs/sha256/<hex>` one, verifying every layer's DiffID.
import { createHash } from 'node:crypto';
import { AmikitError } from '../shared/errors.js';
import type { ImageFiles } from './image-files.js';
import { closeOpened, diffIdsOf, parseJson, readAndClose, type OpenedImage } from './oci-layout.js';
import { openVerifiedLayer } from './verified-layer.js';

/** A blob path or a legacy `<image id>.json` config path carries the digest of its bytes in its name. */
const DIGEST_NAMED = /^(?:blobs\/sha256\/([0-9a-f]{64})|([0-9a-f]{64})\.json)$/;

interface ManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, { mediaType?: string; size?: number; digest?: string; urls?: string[] }>;
}

export interface DockerArchiveOptions {
  tmpDir: string;
  /** Which image of a multi-image archive: a RepoTag ("name:tag"); default the first, with a warning. */
  image?: string;
  onWarning?(message: string): void;
}

/**
 * Opens the layers of one image of a docker-save archive, bottom first.
 * @throws AmikitError INPUT_FORMAT (bad manifest, missing or foreign layers), DIGEST_MISMATCH.
 */
export async function openDockerArchive(files: ImageFiles, options: DockerArchiveOptions): Promise<OpenedImage> {
  const manifestSource = await files.open('manifest.json');
  if (!manifestSource) throw new AmikitError('INPUT_FORMAT', `${files.name}: no manifest.json`);
  const manifest = parseJson(await readAndClose(manifestSource), `${files.name}:manifest.json`);
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new AmikitError('INPUT_FORMAT', `${files.name}:manifest.json: expected a non-empty array of images`);
  }
  const items = manifest.map((m, i) => checkItem(m, `${files.name}:manifest.json[${i}]`));
  const item = pickImage(files.name, items, options);
  const itemIndex = items.indexOf(item);
  const where = `${files.name}:manifest.json[${itemIndex}]`;

  const configSource = await files.open(item.Config);
  if (!configSource) throw new AmikitError('INPUT_FORMAT', `${where}: config ${item.Config} is not in the archive`);
  const configBytes = await readAndClose(configSource);
  const named = DIGEST_NAMED.exec(item.Config);
  const configHex = named?.[1] ?? named?.[2];
  if (configHex !== undefined) {
    const actual = createHash('sha256').update(configBytes).digest('hex');
    if (actual !== configHex) {
      throw new AmikitError('DIGEST_MISMATCH', `${where}: config ${item.Config} has digest sha256:${actual}`, {
        data: { file: files.name, path: item.Config, actual: `sha256:${actual}` },
      });
    }
  }
  const diffIds = diffIdsOf(parseJson(configBytes, `${files.name}:${item.Config}`), `${files.name}:${item.Config}`);
  if (diffIds.length !== item.Layers.length) {
    throw new AmikitError(
      'INPUT_FORMAT',
      `${where}: Layers lists ${item.Layers.length} layers but the config's rootfs.diff_ids has ${diffIds.length}`,
    );
  }

  const opened: OpenedImage = { layers: [], sources: [] };
  try {
    for (let i = 0; i < item.Layers.length; i++) {
      const path = item.Layers[i]!;
      const diffId = diffIds[i]!;
      const label = `${files.name}: layer ${i} (${path})`;
      const blob = await files.open(path);
      if (!blob) {
        const foreign = item.LayerSources?.[`sha256:${diffId}`];
        if (foreign) {
          const urls = foreign.urls?.length ? `; it is fetched from ${foreign.urls.join(', ')}` : '';
          throw new AmikitError(
            'INPUT_FORMAT',
            `${label}: foreign layer sha256:${diffId} is not in the archive (docker save leaves non-distributable layers out${urls})`,
            { data: { layer: label, diffId: `sha256:${diffId}` } },
          );
        }
        throw new AmikitError('INPUT_FORMAT', `${label}: layer file is not in the archive`, { data: { layer: label } });
      }
      opened.sources.push(blob);
      const blobHex = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path)?.[1];
      opened.layers.push(
        await openVerifiedLayer(
          blob,
          blobHex === undefined ? { label, diffIdSha256Hex: diffId } : { label, blobSha256Hex: blobHex, diffIdSha256Hex: diffId },
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

function checkItem(value: unknown, where: string): ManifestItem {
  const item = value as Partial<ManifestItem> | undefined;
  if (
    !item ||
    typeof item.Config !== 'string' ||
    !Array.isArray(item.Layers) ||
    !item.Layers.every((l): l is string => typeof l === 'string')
  ) {
    throw new AmikitError('INPUT_FORMAT', `${where}: needs Config (a path) and Layers (paths)`);
  }
  return item as ManifestItem;
}

function pickImage(name: string, items: ManifestItem[], options: DockerArchiveOptions): ManifestItem {
  if (options.image !== undefined) {
    const found = items.find((item) => item.RepoTags?.includes(options.image!));
    if (!found) {
      const tags = items.flatMap((item) => item.RepoTags ?? []).join(', ') || 'none';
      throw new AmikitError('INPUT_FORMAT', `${name}: no image tagged ${options.image} (tags: ${tags})`);
    }
    return found;
  }
  const first = items[0]!;
  if (items.length > 1) {
    const tag = first.RepoTags?.[0] ?? first.Config;
    options.onWarning?.(`${name}: holds ${items.length} images; using the first (${tag})`);
  }
  return first;
}
