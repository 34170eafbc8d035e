// The hostile layer corpus (fixtures/hostile) through the whole layer stage as the CLI runs it — open,
// then merge: every archive is refused with its expected code, as one line naming the file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHostileArchives, type HostileArchive } from '../../fixtures/hostile/make-hostile-archives.js';
import { mergeLayers } from '../../src/layers/merge-layers.js';
import { openLayers } from '../../src/layers/open-layers.js';
import { AmikitError } from '../../src/shared/errors.js';

let dir: string;
let archives: HostileArchive[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amikit-hostile-corpus-'));
  archives = await makeHostileArchives(join(dir, 'corpus'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stageError(path: string): Promise<unknown> {
  let opened: Awaited<ReturnType<typeof openLayers>> | undefined;
  try {
    opened = await openLayers([path], { tmpDir: dir });
    await mergeLayers(opened.layers);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await opened?.close();
  }
}

describe('hostile layer corpus through openLayers + mergeLayers', () => {
  it('covers the merge-stage cases', () => {
    expect(archives.filter((a) => a.stage === 'merge').length).toBeGreaterThanOrEqual(8);
  });

  it('refuses every archive with its expected code and a one-line message naming the file', async () => {
    const failures: string[] = [];
    for (const archive of archives) {
      const error = await stageError(archive.file);
      const problem =
        !(error instanceof AmikitError)
          ? `not refused with an AmikitError (${String(error)})`
          : error.code !== archive.expect.code
            ? `code ${error.code}, expected ${archive.expect.code}: ${error.message}`
            : !error.message.includes(archive.expect.messageIncludes)
              ? `message lacks ${JSON.stringify(archive.expect.messageIncludes)}: ${error.message}`
              : !error.message.includes(archive.file)
                ? `message does not name the file: ${error.message}`
                : error.message.includes('\n') || !error.isBadInput
                  ? `not a one-line bad-input error: ${error.message}`
                  : undefined;
      if (problem) failures.push(`${archive.name} (${archive.stage}): ${problem}`);
    }
    expect(failures).toEqual([]);
  });
});
