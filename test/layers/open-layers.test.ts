// Layer inputs opened by content: plain/gzip/zstd tars, directories, OCI layouts (dir and tar, multi-platform,
// nested), docker save archives (legacy and OCI-shaped), and the digest checks that guard them.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  archiveTar,
  buildDockerSave,
  buildOciLayout,
  compressLayer,
  writeArchiveDir,
  type ArchiveFiles,
  type ImageSpec,
} from '../../fixtures/layers/image-archives.js';
import { buildLayerTar, d, f, wh } from '../../fixtures/layers/layer-tar.js';
import { mergeLayers } from '../../src/layers/merge-layers.js';
import { openLayers, type OpenLayersOptions } from '../../src/layers/open-layers.js';
import { AmikitError } from '../../src/shared/errors.js';
import { listTreeWithContent } from './list-tree-content.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-open-layers-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = [d('etc'), f('etc/os-release', 'base'), f('etc/secret', 'S')];
const TOP = [f('etc/os-release', 'top'), wh('etc/.wh.secret'), f('app', 'app')];
const MERGED = ['/ dir 0755 0:0', '/app file 0644 0:0 "app"', '/etc dir 0755 0:0', '/etc/os-release file 0644 0:0 "top"'];

function image(arch: string, compression: ('none' | 'gzip' | 'zstd')[], variant?: string): ImageSpec {
  return {
    platform: variant ? { os: 'linux', architecture: arch, variant } : { os: 'linux', architecture: arch },
    layers: [
      { entries: BASE, compression: compression[0]! },
      { entries: [...TOP, f('arch', arch)], compression: compression[1]! },
    ],
  };
}
const mergedFor = (arch: string): string[] => [...MERGED.slice(0, 2), `/arch file 0644 0:0 "${arch}"`, ...MERGED.slice(2)];

async function openAndList(specs: string[], options: Partial<OpenLayersOptions> = {}) {
  const warnings: string[] = [];
  const opened = await openLayers(specs, { tmpDir: dir, onWarning: (m) => warnings.push(m), ...options });
  try {
    const merged = await mergeLayers(opened.layers);
    return { listing: await listTreeWithContent(merged.tree), warnings, layerNames: opened.layers.map((l) => l.name) };
  } finally {
    await opened.close();
  }
}

async function openError(specs: string[], options: Partial<OpenLayersOptions> = {}): Promise<AmikitError> {
  const error = await openLayers(specs, { tmpDir: dir, ...options }).then(
    async (opened) => {
      await opened.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AmikitError);
  expect((error as AmikitError).message).not.toContain('\n');
  expect((error as AmikitError).isBadInput).toBe(true);
  return error as AmikitError;
}

async function writeTar(name: string, files: ArchiveFiles): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, archiveTar(files));
  return path;
}

describe('openLayers: single layers, detected from content', () => {
  it('reads plain, gzip and zstd tars whatever their names say', async () => {
    const base = join(dir, 'base.tar.gz'); // plain, despite the name
    const top = join(dir, 'top.bin'); // zstd
    await writeFile(base, buildLayerTar(BASE));
    await writeFile(top, compressLayer(buildLayerTar(TOP), 'zstd'));
    expect((await openAndList([base, top])).listing).toEqual(MERGED);
    const gz = join(dir, 'top-gz');
    await writeFile(gz, compressLayer(buildLayerTar(TOP), 'gzip'));
    expect((await openAndList([base, gz])).listing).toEqual(MERGED);
  });

  it('reads a directory as a layer (with one xattr warning) under a tar layer', async () => {
    const root = join(dir, 'rootfs');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), 'base');
    await writeFile(join(root, 'etc/secret'), 'S');
    const top = join(dir, 'top.tar');
    await writeFile(top, buildLayerTar(TOP));
    const { listing, warnings } = await openAndList([root, top]);
    expect(listing.slice(1).map((l) => l.replace(/ \d+:\d+/, ''))).toEqual(
      MERGED.slice(1).map((l) => l.replace(/ \d+:\d+/, '')),
    );
    expect(warnings.filter((w) => w.includes('extended attributes'))).toHaveLength(1);
  });

  it('refuses a missing path (INPUT_NOT_FOUND) and content of no known kind (INPUT_FORMAT)', async () => {
    expect((await openError([join(dir, 'missing.tar')])).code).toBe('INPUT_NOT_FOUND');
    const junk = join(dir, 'junk.tar');
    await writeFile(junk, Buffer.alloc(2048, 0x41));
    const error = await openError([junk]);
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toBe(`${junk}: not a tar, tar.gz, tar.zst, directory, docker-save archive or OCI layout`);
    const gzJunk = join(dir, 'junk.gz');
    await writeFile(gzJunk, compressLayer(Buffer.from('hello, not a tar'), 'gzip'));
    expect((await openError([gzJunk])).code).toBe('INPUT_FORMAT');
  });
});

describe('openLayers: resources', () => {
  it('closes what it opened when a later input fails, and everything on close()', async (ctx) => {
    const fdCount = async (): Promise<number> => (await readdir('/proc/self/fd').catch(() => [])).length;
    if ((await fdCount()) === 0) return ctx.skip('needs /proc/self/fd to count open files');
    const base = join(dir, 'base.tar');
    await writeFile(base, buildLayerTar(BASE));
    const zst = join(dir, 'top.zst');
    await writeFile(zst, compressLayer(buildLayerTar(TOP), 'zstd'));
    const layout = join(dir, 'layout');
    await writeArchiveDir(layout, buildOciLayout([image('amd64', ['gzip', 'none'])]));
    const before = await fdCount();
    expect((await openError([base, zst, layout, join(dir, 'missing')])).code).toBe('INPUT_NOT_FOUND');
    expect(await fdCount()).toBe(before);
    const opened = await openLayers([base, zst, layout], { tmpDir: dir });
    expect(opened.layers).toHaveLength(4);
    await mergeLayers(opened.layers);
    await opened.close();
    expect(await fdCount()).toBe(before);
  });
});

describe('openLayers: OCI image layouts (image-layout.md)', () => {
  it('opens a layout directory with gzip and zstd layers, verifying digests and DiffIDs', async () => {
    const layout = join(dir, 'layout');
    await writeArchiveDir(layout, buildOciLayout([image('amd64', ['gzip', 'zstd'])]));
    const { listing, layerNames } = await openAndList([layout]);
    expect(listing).toEqual(mergedFor('amd64'));
    expect(layerNames).toHaveLength(2);
    expect(layerNames[0]).toMatch(/layout: layer 0 \(sha256:[0-9a-f]{64}\)$/);
  });

  it('opens a layout packed in a tar (members read in place) and stacks it under another layer', async () => {
    const path = await writeTar('layout.tar', buildOciLayout([image('amd64', ['none', 'gzip'])]));
    const extra = join(dir, 'extra.tar');
    await writeFile(extra, buildLayerTar([f('extra', 'x')]));
    const { listing } = await openAndList([path, extra]);
    expect(listing).toEqual([...mergedFor('amd64').slice(0, 4), '/extra file 0644 0:0 "x"', ...mergedFor('amd64').slice(4)].sort(byPath));
  });

  it('picks the platform of a multi-platform index; arm64/v8 matches arm64 without variant', async () => {
    const layout = join(dir, 'multi');
    await writeArchiveDir(layout, buildOciLayout([image('amd64', ['gzip', 'gzip']), image('arm64', ['zstd', 'zstd'], 'v8')]));
    expect((await openAndList([layout])).listing).toEqual(mergedFor('amd64'));
    expect((await openAndList([layout], { platform: 'linux/arm64' })).listing).toEqual(mergedFor('arm64'));
    expect((await openAndList([layout], { platform: 'linux/arm64/v8' })).listing).toEqual(mergedFor('arm64'));
    const error = await openError([layout], { platform: 'linux/s390x' });
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toContain('linux/amd64, linux/arm64/v8');
  });

  it('follows nested indexes, and reads the platform from the config when the descriptor has none', async () => {
    const layout = join(dir, 'nested');
    const arm = { ...image('arm64', ['gzip', 'none']), platformOnDescriptor: false };
    await writeArchiveDir(layout, buildOciLayout([image('amd64', ['gzip', 'gzip']), arm], { nested: true }));
    expect((await openAndList([layout], { platform: 'linux/arm64' })).listing).toEqual(mergedFor('arm64'));
  });

  it('uses the only image when no platform is asked for, with a warning', async () => {
    const layout = join(dir, 'only-arm');
    await writeArchiveDir(layout, buildOciLayout([image('arm64', ['gzip', 'gzip'])]));
    const { listing, warnings } = await openAndList([layout]);
    expect(listing).toEqual(mergedFor('arm64'));
    expect(warnings.some((w) => w.includes('only image is linux/arm64'))).toBe(true);
  });

  it('refuses a corrupted layer blob (DIGEST_MISMATCH naming the layer index and digest)', async () => {
    const files = buildOciLayout([image('amd64', ['none', 'gzip'])]);
    const layerPath = [...files.keys()].find((p) => {
      const b = files.get(p);
      return Buffer.isBuffer(b) && b[0] === 0x1f && b[1] === 0x8b;
    })!;
    const blob = Buffer.from(files.get(layerPath) as Buffer);
    const middle = Math.floor(blob.length / 2);
    blob.writeUInt8(blob.readUInt8(middle) ^ 0xff, middle); // inside the deflate stream: the decoder trips, or the CRC does
    files.set(layerPath, blob);
    const layout = join(dir, 'corrupt');
    await writeArchiveDir(layout, files);
    const error = await openError([layout]);
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('layer 1');
    expect(error.message).toContain(layerPath.slice('blobs/sha256/'.length));
  });

  it('refuses an uncompressed blob whose bytes do not match its digest (DIGEST_MISMATCH)', async () => {
    const files = buildOciLayout([image('amd64', ['none', 'none'])]);
    const spec = [...files.entries()].find(([, b]) => Buffer.isBuffer(b) && b.length >= 1024 && b.includes('etc/secret'))!;
    const blob = Buffer.from(spec[1] as Buffer);
    blob[blob.indexOf('base')] = 0x42; // 'base' → 'Base' in file data: a valid tar, wrong digest
    files.set(spec[0], blob);
    const layout = join(dir, 'corrupt-plain');
    await writeArchiveDir(layout, files);
    const error = await openError([layout]);
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('layer 0');
    expect(error.message).toContain(`sha256:${spec[0].slice('blobs/sha256/'.length)}`);
  });

  it('refuses a wrong DiffID in the config (DIGEST_MISMATCH)', async () => {
    const wrong = `sha256:${'ab'.repeat(32)}`;
    const layout = join(dir, 'wrong-diffid');
    await writeArchiveDir(layout, buildOciLayout([{ ...image('amd64', ['zstd', 'gzip']), diffIdOverrides: { 1: wrong } }]));
    const error = await openError([layout]);
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('layer 1');
    expect(error.message).toContain(wrong);
  });

  it('refuses an unknown config media type and an unknown layer media type', async () => {
    const layout = join(dir, 'bad-config');
    await writeArchiveDir(layout, buildOciLayout([{ ...image('amd64', ['gzip', 'gzip']), configMediaType: 'application/vnd.example.thing+json' }]));
    expect((await openError([layout])).code).toBe('INPUT_FORMAT');
    const layout2 = join(dir, 'bad-layer');
    const img = image('amd64', ['gzip', 'gzip']);
    img.layers[1]!.mediaType = 'application/vnd.example.layer.squashfs';
    await writeArchiveDir(layout2, buildOciLayout([img]));
    const error = await openError([layout2]);
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toContain('squashfs');
  });

  it('ignores unknown extra files in the layout', async () => {
    const files = buildOciLayout([image('amd64', ['gzip', 'gzip'])]);
    files.set('README.txt', Buffer.from('hello'));
    const layout = join(dir, 'extra-files');
    await writeArchiveDir(layout, files);
    expect((await openAndList([layout])).listing).toEqual(mergedFor('amd64'));
  });
});

describe('openLayers: docker save archives (moby image/tarexport)', () => {
  it('opens the legacy layout, following layer.tar symlinks for repeated layers', async () => {
    const img = { ...image('amd64', ['none', 'none']), repoTag: 'example:legacy' };
    img.layers.push({ entries: BASE, compression: 'none' }); // same bytes as layer 0 ⇒ stored as a symlink
    const files = buildDockerSave([img], 'legacy');
    expect([...files.values()].some((v) => !Buffer.isBuffer(v))).toBe(true);
    const path = await writeTar('legacy.tar', files);
    const { listing, layerNames } = await openAndList([path]);
    expect(layerNames).toHaveLength(3);
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/app file 0644 0:0 "app"',
      '/arch file 0644 0:0 "amd64"',
      '/etc dir 0755 0:0',
      '/etc/os-release file 0644 0:0 "base"',
      '/etc/secret file 0644 0:0 "S"',
    ]);
  });

  it('opens the OCI-shaped layout (moby 25) with compressed blobs, preferring manifest.json', async () => {
    const path = await writeTar('moby.tar', buildDockerSave([{ ...image('amd64', ['gzip', 'zstd']), repoTag: 'example:new' }], 'oci'));
    expect((await openAndList([path])).listing).toEqual(mergedFor('amd64'));
  });

  it('opens a gzip-compressed docker save archive', async () => {
    const path = join(dir, 'saved.tar.gz');
    await writeFile(path, compressLayer(archiveTar(buildDockerSave([{ ...image('amd64', ['none', 'none']), repoTag: 'x:y' }], 'oci')), 'gzip'));
    expect((await openAndList([path])).listing).toEqual(mergedFor('amd64'));
  });

  it('picks the first of several images, with a warning', async () => {
    const files = buildDockerSave(
      [
        { ...image('amd64', ['none', 'none']), repoTag: 'first:1' },
        { ...image('arm64', ['none', 'none']), repoTag: 'second:1' },
      ],
      'legacy',
    );
    const path = await writeTar('two.tar', files);
    const { listing, warnings } = await openAndList([path]);
    expect(listing).toEqual(mergedFor('amd64'));
    expect(warnings.some((w) => w.includes('2 images') && w.includes('first:1'))).toBe(true);
    const second = await openAndList([path], { image: 'second:1' });
    expect(second.listing).toEqual(mergedFor('arm64'));
    expect(second.warnings).toEqual([]);
    expect((await openError([path], { image: 'third:1' })).message).toContain('first:1, second:1');
  });

  it('refuses a wrong DiffID (DIGEST_MISMATCH) in both layouts', async () => {
    for (const layout of ['legacy', 'oci'] as const) {
      const wrong = `sha256:${'cd'.repeat(32)}`;
      const files = buildDockerSave([{ ...image('amd64', ['none', 'none']), diffIdOverrides: { 0: wrong }, repoTag: 'a:b' }], layout);
      const path = await writeTar(`wrong-${layout}.tar`, files);
      const error = await openError([path]);
      expect(error.code).toBe('DIGEST_MISMATCH');
      expect(error.message).toContain('layer 0');
      expect(error.message).toContain(path);
    }
  });

  it('refuses an absent foreign layer listed in LayerSources with a clear message', async () => {
    const files = buildDockerSave([{ ...image('amd64', ['none', 'none']), repoTag: 'win:1' }], 'oci', { foreignLayers: [0] });
    const path = await writeTar('foreign.tar', files);
    const error = await openError([path]);
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toContain('foreign layer');
    expect(error.message).toContain('https://example.invalid/layer');
  });

  it('treats a layer tar that merely contains a manifest.json among other files as a layer', async () => {
    const path = join(dir, 'layer-with-manifest.tar');
    await writeFile(path, buildLayerTar([f('manifest.json', '[]'), d('etc'), f('etc/x', 'x')]));
    const { listing } = await openAndList([path]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/etc dir 0755 0:0', '/etc/x file 0644 0:0 "x"', '/manifest.json file 0644 0:0 "[]"']);
  });
});

function byPath(a: string, b: string): number {
  const pa = a.split(' ')[0]!;
  const pb = b.split(' ')[0]!;
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
