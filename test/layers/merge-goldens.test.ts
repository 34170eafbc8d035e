// Golden merges over real layer tars (fixtures/layers/merge-goldens.ts), opened the way the CLI opens them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLayerTar } from '../../fixtures/layers/layer-tar.js';
import { MERGE_GOLDENS } from '../../fixtures/layers/merge-goldens.js';
import { mergeLayers } from '../../src/layers/merge-layers.js';
import { openLayers } from '../../src/layers/open-layers.js';
import { AmikitError } from '../../src/shared/errors.js';
import { listTreeWithContent } from './list-tree-content.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-merge-goldens-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('merge goldens (tar layers)', () => {
  for (const golden of MERGE_GOLDENS) {
    it(`${golden.name}: ${golden.rule}`, async () => {
      const paths: string[] = [];
      for (let i = 0; i < golden.layers.length; i++) {
        const path = join(dir, `${golden.name}-layer${i}.tar`);
        await writeFile(path, buildLayerTar(golden.layers[i]!));
        paths.push(path);
      }
      const opened = await openLayers(paths, { tmpDir: dir });
      try {
        const outcome = await mergeLayers(opened.layers).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        if (golden.error) {
          expect('error' in outcome, 'merge should fail').toBe(true);
          const error = (outcome as { error: unknown }).error;
          expect(error).toBeInstanceOf(AmikitError);
          const amikit = error as AmikitError;
          expect(amikit.code).toBe(golden.error.code);
          expect(amikit.isBadInput).toBe(true);
          expect(amikit.message).not.toContain('\n');
          for (const mention of golden.error.mentions) {
            const expected = mention.replace(/\{layer(\d+)\}/, (_, i: string) => paths[Number(i)]!);
            expect(amikit.message).toContain(expected);
          }
          return;
        }
        if ('error' in outcome) throw outcome.error;
        const { result } = outcome;
        expect(await listTreeWithContent(result.tree)).toEqual(golden.listing);
        if (golden.createdParents) expect(result.createdParents).toEqual(golden.createdParents);
        expect(result.warnings.map((w) => w.code)).toEqual(golden.warningCodes ?? []);
      } finally {
        await opened.close();
      }
    });
  }

  it('is deterministic: every golden merges to the same listing twice', async () => {
    const golden = MERGE_GOLDENS.find((g) => g.name === 'hardlinks')!;
    const paths = await Promise.all(
      golden.layers.map(async (layer, i) => {
        const path = join(dir, `det-${i}.tar`);
        await writeFile(path, buildLayerTar(layer));
        return path;
      }),
    );
    const listings: string[][] = [];
    for (let round = 0; round < 2; round++) {
      const opened = await openLayers(paths, { tmpDir: dir });
      listings.push(await listTreeWithContent((await mergeLayers(opened.layers)).tree));
      await opened.close();
    }
    expect(listings[1]).toEqual(listings[0]);
  });
});
