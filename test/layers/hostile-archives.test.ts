// Image archives that try to reach outside themselves or lie about their blobs: each is refused with a
// one-line, exit-code-2-class error naming the archive and the member.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveTar, buildDockerSave, buildOciLayout, writeArchiveDir, type ArchiveFiles } from '../../fixtures/layers/image-archives.js';
import { f } from '../../fixtures/layers/layer-tar.js';
import { openLayers } from '../../src/layers/open-layers.js';
import { AmikitError } from '../../src/shared/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-hostile-archives-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const IMAGE = {
  platform: { os: 'linux', architecture: 'amd64' },
  layers: [{ entries: [f('a', 'a')], compression: 'none' as const }],
  repoTag: 'x:1',
};

async function refused(files: ArchiveFiles | string, name = 'archive.tar'): Promise<AmikitError> {
  const path = typeof files === 'string' ? files : join(dir, name);
  if (typeof files !== 'string') await writeFile(path, archiveTar(files));
  const error = await openLayers([path], { tmpDir: dir }).then(
    async (opened) => {
      await opened.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AmikitError);
  const amikit = error as AmikitError;
  expect(amikit.isBadInput).toBe(true);
  expect(amikit.message).not.toContain('\n');
  expect(amikit.message).toContain(path);
  return amikit;
}

function manifestOf(files: ArchiveFiles): Array<Record<string, unknown>> {
  return JSON.parse((files.get('manifest.json') as Buffer).toString()) as Array<Record<string, unknown>>;
}

describe('hostile image archives', () => {
  it('refuses a docker save layer.tar symlink that leaves the archive (INPUT_UNSAFE)', async () => {
    const files = buildDockerSave([IMAGE], 'legacy');
    const layerPath = (manifestOf(files)[0]!['Layers'] as string[])[0]!;
    files.set(layerPath, { symlink: '../../../etc/passwd' });
    const error = await refused(files);
    expect(error.code).toBe('INPUT_UNSAFE');
    expect(error.message).toContain('layer.tar');
  });

  it('refuses manifest.json layer paths with ".." or absolute paths (INPUT_UNSAFE)', async () => {
    for (const bad of ['../outside/layer.tar', '/etc/passwd']) {
      const files = buildDockerSave([IMAGE], 'legacy');
      const manifest = manifestOf(files);
      manifest[0]!['Layers'] = [bad];
      files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
      const error = await refused(files, `bad-${bad.length}.tar`);
      expect(error.code).toBe('INPUT_UNSAFE');
    }
  });

  it('refuses a digest that is not sha256:<64 hex> (no path games through blobs/)', async () => {
    const files = buildOciLayout([IMAGE]);
    const index = JSON.parse((files.get('index.json') as Buffer).toString()) as { manifests: Array<{ digest: string }> };
    index.manifests[0]!.digest = 'sha256:../../../../etc/passwd';
    files.set('index.json', Buffer.from(JSON.stringify(index)));
    const layout = join(dir, 'layout');
    await writeArchiveDir(layout, files);
    const error = await refused(layout);
    expect(error.code).toBe('INPUT_FORMAT');
  });

  it('refuses a manifest blob whose size or bytes differ from its descriptor (DIGEST_MISMATCH)', async () => {
    const files = buildOciLayout([IMAGE]);
    const index = JSON.parse((files.get('index.json') as Buffer).toString()) as { manifests: Array<{ size: number }> };
    index.manifests[0]!.size += 1;
    files.set('index.json', Buffer.from(JSON.stringify(index)));
    const error = await refused(files, 'oci-size.tar');
    expect(error.code).toBe('DIGEST_MISMATCH');
  });

  it('refuses a layer blob whose size differs from its descriptor (DIGEST_MISMATCH)', async () => {
    const files = buildOciLayout([IMAGE]);
    const layerPath = [...files.keys()].find((p) => {
      const bytes = files.get(p);
      return Buffer.isBuffer(bytes) && bytes.length % 512 === 0 && bytes.length > 0;
    })!;
    files.set(layerPath, Buffer.concat([files.get(layerPath) as Buffer, Buffer.alloc(512)]));
    const error = await refused(files, 'oci-layer-size.tar');
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('layer 0');
  });

  it('refuses a config whose layer count disagrees with the manifest (INPUT_FORMAT)', async () => {
    const files = buildDockerSave([IMAGE], 'oci');
    const manifest = manifestOf(files);
    manifest[0]!['Layers'] = [...(manifest[0]!['Layers'] as string[]), ...(manifest[0]!['Layers'] as string[])];
    files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    const error = await refused(files, 'count.tar');
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toContain('diff_ids');
  });

  it('refuses a missing blob with the layer named', async () => {
    const files = buildOciLayout([IMAGE]);
    const layerPath = [...files.keys()].find((p) => {
      const bytes = files.get(p);
      return Buffer.isBuffer(bytes) && bytes.length % 512 === 0 && bytes.length > 0;
    })!;
    files.delete(layerPath);
    const error = await refused(files, 'missing-blob.tar');
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toContain('layer 0');
  });
});
