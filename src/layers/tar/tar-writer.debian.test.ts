// Large-scale oracle for the writer: the Debian root filesystem tar, re-written member by member with
// TarWriter, lists identically under GNU tar (types, modes, owners, sizes, ns mtimes, names, links) and
// extracts the same file bytes (GNU tar --compare of both archives against one extraction).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../../../test/support/debian-rootfs.js';
import { FileByteSource } from '../byte-sources/file-byte-source.js';
import { readTarEntries } from './read-tar-entries.js';
import { hasGnuTar, isRoot } from './tar-oracle.test-support.js';
import { TarWriter } from './tar-writer.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'amikit-tar-debian-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function list(path: string): string[] {
  return execFileSync('tar', ['-t', '-v', '--numeric-owner', '--full-time', '--quoting-style=escape', '-f', path], {
    encoding: 'latin1',
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    maxBuffer: 1 << 28,
  })
    .split('\n')
    .map((line) => line.replace(/ +/g, ' '));
}

async function rewrite(input: string, output: string): Promise<void> {
  const source = await FileByteSource.open(input);
  const handle = await open(output, 'w');
  let position = 0;
  const writer = new TarWriter({
    async write(chunk) {
      await handle.write(chunk, 0, chunk.length, position);
      position += chunk.length;
    },
  });
  const buffer = Buffer.alloc(1024 * 1024);
  for await (const entry of readTarEntries(source)) {
    await writer.addEntry(
      entry,
      entry.type === 'file'
        ? (async function* () {
            for (let at = 0; at < entry.storedBytes; ) {
              const n = Math.min(buffer.length, entry.storedBytes - at);
              await source.readInto(buffer, 0, n, entry.dataOffsetBytes + at);
              yield buffer.subarray(0, n);
              at += n;
            }
          })()
        : undefined,
    );
  }
  await writer.finish();
  await handle.close();
  await source.close();
}

describe.skipIf(!hasGnuTar)('TarWriter on the Debian root filesystem', () => {
  it('re-writes every member so that GNU tar lists and compares it identically', async (ctx) => {
    const input = await debianRootfsTar();
    if (!input) return ctx.skip(debianRootfsSkipReason());
    const output = join(work, 'rewritten.tar');
    await rewrite(input, output);
    const [before, after] = [list(input), list(output)];
    expect(after.length).toBe(before.length);
    const mismatches = after.map((line, i) => [line, before[i]]).filter(([a, b]) => a !== b);
    expect(mismatches.slice(0, 5)).toEqual([]);
    if (isRoot) {
      // Extract the original once, then let GNU tar compare our archive's contents against it.
      const tree = join(work, 'tree');
      await mkdir(tree);
      execFileSync('tar', ['-x', '-f', input, '--numeric-owner', '-p', '--xattrs', '--xattrs-include=*', '-C', tree]);
      execFileSync('tar', ['-d', '-f', output, '--numeric-owner', '-C', tree], { stdio: ['ignore', 'pipe', 'pipe'] });
    }
  });

  it('negative: GNU tar --compare notices a changed byte in the re-written archive', async (ctx) => {
    if (!isRoot) return ctx.skip('needs root to extract device nodes of the reference tree');
    const dir = join(work, 'neg');
    await mkdir(dir);
    execFileSync('sh', ['-c', `printf 'hello' > ${dir}/f`]);
    const archive = join(work, 'neg.tar');
    execFileSync('tar', ['-c', '-f', archive, '-C', dir, 'f']);
    const output = join(work, 'neg-out.tar');
    await rewrite(archive, output);
    const handle = await open(output, 'r+');
    await handle.write(Buffer.from('J'), 0, 1, 512); // first data byte: 'h' -> 'J'
    await handle.close();
    expect(() => execFileSync('tar', ['-d', '-f', output, '-C', dir], { stdio: ['ignore', 'pipe', 'pipe'] })).toThrow();
  });
});
