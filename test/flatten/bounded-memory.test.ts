// Memory must not grow with file data: flattening and building a 2 GiB layer (one 2 GiB file plus a few
// small ones) stays far below the file size in peak RSS, measured by GNU time on the real CLI.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TarWriter } from '../../src/layers/tar/tar-writer.js';
import { CLI_PATH } from '../support/run-cli.js';
import { run, tempDir, toolSkipReason } from '../support/tools.js';

const FILE_BYTES = 2 * 1024 ** 3;
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Node itself, the tree and the writer's fixed buffers fit well below this; 2 GiB of data would not. */
const PEAK_RSS_LIMIT_KIB = 256 * 1024;

async function writeBigLayer(path: string): Promise<void> {
  const handle = await open(path, 'w');
  let position = 0;
  const writer = new TarWriter({
    write: async (chunk) => {
      await handle.write(chunk, 0, chunk.length, position);
      position += chunk.length;
    },
  });
  const meta = { mode: 0o644, uid: 0, gid: 0, mtime: { sec: 1_700_000_000, nsec: 0 } };
  await writer.addEntry({ ...meta, path: 'big.bin', type: 'file', sizeBytes: FILE_BYTES }, (async function* () {
    const chunk = Buffer.alloc(CHUNK_BYTES, 0x5a);
    for (let done = 0; done < FILE_BYTES; done += CHUNK_BYTES) yield chunk;
  })());
  await writer.addEntry({ ...meta, path: 'small.txt', type: 'file', sizeBytes: 6 }, (async function* () {
    yield Buffer.from('small\n');
  })());
  await writer.finish();
  await handle.close();
}

describe.skipIf(toolSkipReason('/usr/bin/time') !== undefined)('bounded memory on a 2 GiB layer', () => {
  it('flatten and build keep peak RSS under 256 MiB', async () => {
    const dir = (await tempDir('bounded-memory')).path;
    const layer = join(dir, 'big.tar');
    await writeBigLayer(layer);
    for (const [verb, out] of [['flatten', 'out.tar'], ['build', 'out.img']] as const) {
      const result = await run('/usr/bin/time', ['-f', 'peak-rss-kib=%M', process.execPath, CLI_PATH, verb, '--layer', layer, '-o', join(dir, out)], { timeoutMs: 300_000 });
      expect(result.exitCode, result.stderr).toBe(0);
      const peak = Number(/peak-rss-kib=(\d+)/.exec(result.stderr)?.[1]);
      expect(peak).toBeGreaterThan(0);
      expect(peak, `${verb} peak RSS ${peak} KiB`).toBeLessThan(PEAK_RSS_LIMIT_KIB);
      await run('rm', ['-f', join(dir, out)]);
    }
  });
});
