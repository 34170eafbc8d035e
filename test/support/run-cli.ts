// Runs the built CLI as a user would (dist/bin/amikit.js, the installed bin: src/cli/main.ts bundled by
// `npm run build`, which `npm test` runs first), capturing stdout, stderr and the exit code.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './tools.js';

export const CLI_PATH = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'dist', 'bin', 'amikit.js');

/** Runs `amikit ...args`; SOURCE_DATE_EPOCH and other variables come from `env`. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build first`);
  return run(process.execPath, [CLI_PATH, ...args], { env, timeoutMs: 600_000 });
}
