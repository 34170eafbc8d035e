// An interrupted build or flatten (Ctrl-C, a CI timeout's SIGTERM) says so in one line, exits 130/143
// and leaves nothing behind: no file under the final name, no temporary file beside it.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { CLI_PATH } from '../support/run-cli.js';
import { tempDir } from '../support/tools.js';

/** Polling interval while waiting for the run to create its temporary output. */
const POLL_MS = 10;

/** Starts the CLI, sends `signal` as soon as its temporary output exists in `dir`, and awaits the exit. */
function runAndSignal(args: string[], dir: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const poll = setInterval(() => {
      void readdir(dir).then((names) => {
        if (!signalled && names.some((name) => name.includes('.amikit-tmp-'))) {
          signalled = true;
          child.kill(signal);
        }
      });
    }, POLL_MS);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stderr, signalled });
    });
  });
}

describe('interrupting a long run', () => {
  let base: string | undefined;
  beforeAll(async () => {
    base = await debianRootfsTar();
  });

  for (const [verb, signal, exitCode] of [['build', 'SIGINT', 130], ['flatten', 'SIGTERM', 143]] as const) {
    it(`${verb} stopped by ${signal} exits ${exitCode} and leaves no file`, async (context) => {
      if (!base) return context.skip(debianRootfsSkipReason());
      const dir = (await tempDir(`interrupt-${verb}`)).path;
      const out = join(dir, verb === 'build' ? 'root.img' : 'merged.tar');
      // The signal lands while the output is being written (the Debian layer takes seconds to write).
      const result = await runAndSignal([verb, '--layer', base, '-o', out], dir, signal);
      expect(result.signalled).toBe(true);
      expect(result.code).toBe(exitCode);
      expect(result.stderr.trim().split('\n')).toEqual([`amikit: error: interrupted by ${signal}; no output was written`]);
      expect(await readdir(dir)).toEqual([]);
    });
  }
});
