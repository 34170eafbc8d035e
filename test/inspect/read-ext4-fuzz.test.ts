// The ext4 reader on damaged images: a seeded generator flips bytes in the metadata region of a small
// amikit image (superblock, descriptors, bitmaps, inode tables, directories, extent and xattr blocks) many
// times; every run must end in a tree (whose inspect facts are gathered) or an AmikitError, quickly, never
// in any other exception, and without memory growth beyond a fixed cap. Also an mke2fs image (1 KiB blocks, a hashed directory).
import { mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTree } from '../../src/customize/op-test-harness.js';
import { readExt4 } from '../../src/ext4/read-ext4.js';
import { inspectTree } from '../../src/inspect/inspect-tree.js';
import { writeExt4 } from '../../src/ext4/write-ext4.js';
import { FileByteSource } from '../../src/layers/byte-sources/file-byte-source.js';
import { AmikitError } from '../../src/shared/errors.js';
import { readWholeContent } from '../../src/tree/read-content.js';
import type { ByteSource } from '../../src/tree/byte-source.js';
import { run, runOk, tempDir, toolSkipReason } from '../support/tools.js';

const RUNS = Number(process.env['AMIKIT_FUZZ_RUNS'] ?? 2000);
const PER_RUN_MS = 2000;
/** Resident-set growth allowed over the whole fuzz run (a reader that keeps or balloons buffers exceeds it). */
const RSS_GROWTH_CAP_BYTES = 192 * 1024 * 1024;

/** xorshift32: the same sequence for the same seed, on every machine. */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

describe('readExt4 on corrupted images', () => {
  it(`ends every one of ${RUNS} seeded corruptions of an amikit image in a tree or an AmikitError`, async () => {
    const dir = (await tempDir('read-ext4-fuzz')).path;
    const spec: Parameters<typeof makeTree>[0] = {
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
      '/etc/long-link': { link: 'x'.repeat(200) },
      '/usr/bin/tool': { text: 'ELF'.repeat(5000), mode: 0o4755, xattrs: { 'security.capability': 'cap', 'user.big': 'v'.repeat(300) } },
    };
    for (let i = 0; i < 150; i++) spec[`/var/lib/many/file-${i}`] = `content ${i}\n`;
    const tree = makeTree(spec);
    const clean = join(dir, 'clean.img');
    const handle = await open(clean, 'w+');
    await handle.truncate(16 * 1024 * 1024);
    const result = await writeExt4(tree, { handle, offsetBytes: 0 }, { timestampSec: 1_700_000_000, seed: 'fuzz', sizeBytes: 16 * 1024 * 1024 });
    await handle.close();
    expect(result.inodesUsed).toBeGreaterThan(150);
    await fuzzImage(clean, dir, RUNS, 0x5eed);
  }, 600_000);

  it.skipIf(toolSkipReason('mke2fs', 'e2fsck', 'debugfs'))(`ends every one of ${Math.ceil(RUNS / 2)} seeded corruptions of a 1 KiB-block mke2fs image with a hashed directory`, async () => {
    const dir = (await tempDir('read-ext4-fuzz-mke2fs')).path;
    const source = join(dir, 'src');
    await mkdir(join(source, 'many'), { recursive: true });
    for (let i = 0; i < 400; i++) await writeFile(join(source, 'many', `a-longer-file-name-${i}`), `content ${i}\n`);
    await writeFile(join(source, 'big'), Buffer.alloc(300_000, 7));
    await symlink('t'.repeat(120), join(source, 'slow-link'));
    const clean = join(dir, 'clean.img');
    await runOk('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', '-O', 'metadata_csum,64bit', '-I', '256', '-d', source, clean, '8M']);
    // mke2fs -d writes linear directories; e2fsck -D re-indexes them (exit 1: "file system modified").
    expect((await run('e2fsck', ['-fyD', clean])).exitCode).toBeLessThanOrEqual(1);
    expect((await runOk('debugfs', ['-R', 'htree /many', clean])).stdout).toContain('Root node dump');
    const cleanSource = await FileByteSource.open(clean);
    const volume = await readExt4(cleanSource);
    const names = [...((await volume.readTree()).lookup('/many') as { children: Map<string, unknown> }).children.keys()];
    expect(volume.checksums().directoryBlocks).toMatchObject({ bad: 0 });
    expect(volume.checksums().directoryBlocks.checked).toBeGreaterThan(10);
    await cleanSource.close();
    expect(names.sort()).toEqual(Array.from({ length: 400 }, (_, i) => `a-longer-file-name-${i}`).sort());
    await fuzzImage(clean, dir, Math.ceil(RUNS / 2), 0xf00d);
  }, 600_000);
});

async function fuzzImage(clean: string, dir: string, runs: number, seed: number): Promise<void> {
  // The metadata the reader looks at (superblock, descriptors, inode table runs, directory, extent and
  // xattr blocks): recorded from a clean read, then corrupted at random.
  const regions: Array<[number, number]> = [];
  const cleanSource = await FileByteSource.open(clean);
  const recording: ByteSource = {
    name: cleanSource.name,
    sizeBytes: cleanSource.sizeBytes,
    readInto: async (target, targetOffset, lengthBytes, offsetBytes) => {
      regions.push([offsetBytes, lengthBytes]);
      await cleanSource.readInto(target, targetOffset, lengthBytes, offsetBytes);
    },
    close: () => cleanSource.close(),
  };
  await (await readExt4(recording)).readTree();
  await recording.close();
  const original = await readFile(clean);
  const next = generator(seed);
  const outcomes = { tree: 0, error: 0 };
  // One copy of the image, mutated in place and restored after each run (never rewritten whole).
  const image = join(dir, 'fuzz.img');
  await writeFile(image, original);
  const writer = await open(image, 'r+');
  let baselineRss = 0;
  for (let run = 0; run < runs; run++) {
    if (run === 20) baselineRss = process.memoryUsage().rss;
    const flips = 1 + (next() % 4);
    const touched: number[] = [];
    for (let i = 0; i < flips; i++) {
      const [offset, length] = regions[next() % regions.length]!;
      const at = offset + (next() % length);
      touched.push(at);
      await writer.write(Buffer.from([next() & 0xff]), 0, 1, at);
    }
    const source = await FileByteSource.open(image);
    const started = performance.now();
    try {
      const volume = await readExt4(source);
      const read = await volume.readTree();
      for (const { node } of read.walk()) {
        if (node.kind === 'file' && node.sizeBytes < 64 * 1024) await readWholeContent(node);
        // stat's view of every inode (times, xattrs, extents, checksum) must hold up as well.
        await volume.inodeDetails(volume.inodeOf(node)!);
      }
      volume.checksums();
      // The facts of inspect hold up on whatever tree a damaged image yields.
      await inspectTree(read);
      outcomes.tree++;
    } catch (error) {
      if (!(error instanceof AmikitError)) throw new Error(`run ${run}: ${String(error)}`, { cause: error });
      expect(error.message.split('\n')).toHaveLength(1);
      outcomes.error++;
    } finally {
      await source.close();
    }
    expect(performance.now() - started, `run ${run}`).toBeLessThan(PER_RUN_MS);
    for (const at of touched) await writer.write(original, at, 1, at);
    if (baselineRss > 0 && run % 50 === 0) expect(process.memoryUsage().rss - baselineRss, `run ${run}: RSS growth`).toBeLessThan(RSS_GROWTH_CAP_BYTES);
  }
  await writer.close();
  // Both outcomes occur: the corruption reaches structures that are checked and ones that are not.
  expect(outcomes.tree).toBeGreaterThan(0);
  expect(outcomes.error).toBeGreaterThan(0);
}
