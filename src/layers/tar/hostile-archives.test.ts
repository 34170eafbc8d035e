// Every reader-level archive of the hostile corpus is refused by the tar reader or the decompressor with
// the stated code and a one-line message naming the source (and, for tar faults, the header offset);
// the path-level ones parse cleanly here and are left to the merge stage.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHostileArchives, type HostileArchive } from '../../../fixtures/hostile/make-hostile-archives.js';
import { AmikitError } from '../../shared/errors.js';
import { readRange } from '../../tree/byte-source.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { COMPRESSION_MAGIC_BYTES, detectCompression } from '../decompress/detect-compression.js';
import { spoolDecompressed } from '../decompress/spool-decompressed.js';
import { readTarEntries } from './read-tar-entries.js';
import type { TarEntry } from './tar-entry.js';

let work: string;
let archives: HostileArchive[];
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'amikit-hostile-'));
  archives = await makeHostileArchives(join(work, 'corpus'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** What a layer open does: sniff, decompress if needed, walk the headers. */
async function readLayer(path: string): Promise<TarEntry[]> {
  const file = await FileByteSource.open(path, path);
  try {
    const head = await readRange(file, 0, Math.min(COMPRESSION_MAGIC_BYTES, file.sizeBytes));
    const kind = detectCompression(head);
    const source = kind === 'none' ? file : (await spoolDecompressed(file, kind, { tmpDir: work })).source;
    try {
      const entries: TarEntry[] = [];
      for await (const entry of readTarEntries(source)) entries.push(entry);
      return entries;
    } finally {
      if (source !== file) await source.close();
    }
  } finally {
    await file.close();
  }
}

describe('hostile archive corpus', () => {
  it('has at least 25 archives, distinct names, and is deterministic', async () => {
    expect(archives.length).toBeGreaterThanOrEqual(25);
    expect(new Set(archives.map((archive) => archive.name)).size).toBe(archives.length);
    const again = await makeHostileArchives(join(work, 'again'));
    for (let i = 0; i < archives.length; i++) {
      const [a, b] = await Promise.all([readFile(archives[i]!.file), readFile(again[i]!.file)]);
      expect(createHash('sha256').update(a).digest('hex'), archives[i]!.name).toBe(createHash('sha256').update(b).digest('hex'));
    }
  });

  it('refuses each reader-level archive with its code and a one-line message naming source and offset', async () => {
    let checked = 0;
    for (const archive of archives.filter((candidate) => candidate.stage !== 'merge')) {
      let caught: unknown;
      try {
        await readLayer(archive.file);
      } catch (error) {
        caught = error;
      }
      expect(caught, archive.name).toBeInstanceOf(AmikitError);
      const error = caught as AmikitError;
      expect(error.code, `${archive.name}: ${error.message}`).toBe(archive.expect.code);
      expect(error.message, archive.name).toContain(archive.expect.messageIncludes);
      expect(error.message, archive.name).not.toContain('\n');
      expect(error.message.startsWith(archive.file), `${archive.name}: ${error.message}`).toBe(true);
      if (archive.stage === 'tar') expect(error.message, archive.name).toMatch(/^[^:]+: offset \d+: /);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('leaves the path-level archives to the merge stage: they parse as well-formed tars', async () => {
    for (const archive of archives.filter((candidate) => candidate.stage === 'merge')) {
      const entries = await readLayer(archive.file);
      expect(entries.length, archive.name).toBeGreaterThan(0);
    }
  });
});
