// Every hostile or broken archive of the corpus, fed to `amikit flatten` and `amikit build` as a user
// would: exit code 2, one line naming the file, and nothing written under the output name or beside it.
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHostileArchives, type HostileArchive } from '../../fixtures/hostile/make-hostile-archives.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/tools.js';

describe('hostile and broken layers through the CLI', () => {
  let corpus: HostileArchive[] = [];
  let corpusDir = '';
  beforeAll(async () => {
    const dir = await tempDir('hostile-cli');
    corpusDir = join(dir.path, 'corpus');
    corpus = await makeHostileArchives(corpusDir);
    return () => dir.cleanup();
  });

  it('has at least 25 archives', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
  });

  for (const verb of ['flatten', 'build'] as const) {
    it(`${verb} refuses each with exit 2, one line naming the archive, and no output`, async () => {
      const failures: string[] = [];
      for (const archive of corpus) {
        const outDir = (await tempDir(`hostile-${verb}`)).path;
        const out = join(outDir, verb === 'flatten' ? 'out.tar' : 'out.img');
        const result = await runCli([verb, '--layer', archive.file, '-o', out]);
        const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('amikit: error: '));
        const otherLines = result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('amikit: '));
        const left = await readdir(outDir);
        if (result.exitCode !== 2) failures.push(`${archive.name}: exit ${result.exitCode}: ${result.stderr.trim()}`);
        else if (errorLines.length !== 1 || otherLines.length > 0) failures.push(`${archive.name}: stderr not one line: ${result.stderr}`);
        else if (!errorLines[0]!.includes(archive.expect.messageIncludes)) failures.push(`${archive.name}: message lacks '${archive.expect.messageIncludes}': ${errorLines[0]}`);
        else if (!errorLines[0]!.includes(basename(archive.file))) failures.push(`${archive.name}: message does not name the file: ${errorLines[0]}`);
        if (left.length > 0) failures.push(`${archive.name}: left ${left.join(', ')} behind`);
      }
      expect(failures).toEqual([]);
    });
  }
});
