// `amikit --version [--verbose]`: the package version and, verbosely, the runtime and the kernels in use.
import { readFile } from 'node:fs/promises';
import { kernelReport } from '../kernels/index.js';

export async function versionText(verbose: boolean): Promise<string> {
  const packageJson = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const lines = [`amikit ${packageJson.version}`];
  if (verbose) {
    lines.push(`node ${process.version} (${process.platform}-${process.arch})`);
    // What the bin's shebang line set (tuning measured for builds; see src/cli/main.ts).
    lines.push(`runtime: node flags ${process.execArgv.join(' ') || '(none)'}; thread pool ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (libuv default)'}`);
    for (const line of kernelReport()) lines.push(`kernels: ${line}`);
  }
  return lines.join('\n') + '\n';
}
