// The CLI contract every verb keeps: --help, exit codes (0 ok, 2 bad usage/input, 1 other), one-line
// errors without stacks (stacks only with --debug), --json results, and no output left behind on failure.
import { readdir, writeFile, mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, runCli } from '../support/run-cli.js';
import { run, tempDir } from '../support/tools.js';

const EXAMPLE_LAYERS = ['--layer', 'examples/layers/base.tar.gz', '--layer', 'examples/layers/app.tar'];

/** Asserts the stderr of a failed run is exactly one `amikit: error:` line. */
function expectOneLineError(stderr: string, includes: string | RegExp): void {
  const lines = stderr.split('\n').filter((line) => line !== '' && !line.startsWith('amikit: warning:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^amikit: error: /);
  expect(lines[0]).toMatch(includes);
}

describe('amikit CLI contract', () => {
  it('prints help for the program and for each verb, generated from the flags', async () => {
    const main = await runCli(['--help']);
    expect(main.exitCode).toBe(0);
    expect(main.stdout).toMatch(/flatten/);
    expect(main.stdout).toMatch(/build/);
    for (const verb of ['flatten', 'build']) {
      const help = await runCli([verb, '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^amikit ${verb} — `));
      expect(help.stdout).toMatch(/--layer L/);
      expect(help.stdout).toMatch(/--json/);
    }
    expect((await runCli([])).exitCode).toBe(2);
  });

  it('reports bad usage in one line with exit code 2', async () => {
    const unknownVerb = await runCli(['frobnicate']);
    expect(unknownVerb.exitCode).toBe(2);
    expectOneLineError(unknownVerb.stderr, /unknown command 'frobnicate'/);

    const unknownFlag = await runCli(['build', '--no-such-flag']);
    expect(unknownFlag.exitCode).toBe(2);
    expectOneLineError(unknownFlag.stderr, /no-such-flag/);

    const badSize = await runCli(['build', ...EXAMPLE_LAYERS, '-o', '/nonexistent/x.img', '--size', 'lots']);
    expect(badSize.exitCode).toBe(2);
    expectOneLineError(badSize.stderr, /invalid --size 'lots'/);
  });

  it('names a missing layer in one line, exit 2, and adds a stack only with --debug', async () => {
    const dir = (await tempDir('cli-missing')).path;
    const out = join(dir, 'x.tar');
    const plain = await runCli(['flatten', '--layer', join(dir, 'missing.tar'), '-o', out]);
    expect(plain.exitCode).toBe(2);
    expectOneLineError(plain.stderr, /missing\.tar/);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['flatten', '--layer', join(dir, 'missing.tar'), '-o', out, '--debug']);
    expect(debug.exitCode).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(await readdir(dir)).toEqual([]);
  });

  it("reports an unwritable output as a failure and leaves nothing behind", async () => {
    const dir = (await tempDir('cli-unwritable')).path;
    await writeFile(join(dir, 'file'), 'x');
    const result = await runCli(['flatten', ...EXAMPLE_LAYERS, '-o', join(dir, 'file', 'out.tar')]);
    expect(result.exitCode).not.toBe(0);
    expectOneLineError(result.stderr, /out\.tar/);
    expect((await readdir(dir)).sort()).toEqual(['file']);
  });

  it('prints one JSON result on stdout with --json', async () => {
    const dir = (await tempDir('cli-json')).path;
    const out = join(dir, 'merged.tar');
    const result = await runCli(['flatten', ...EXAMPLE_LAYERS, '-o', out, '--json']);
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(result.stdout) as { output: string; entries: number };
    expect(parsed.output).toBe(out);
    expect(parsed.entries).toBeGreaterThan(10);

    const image = join(dir, 'root.img');
    const build = await runCli(['build', ...EXAMPLE_LAYERS, '-o', image, '--seed', 's', '--json'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(build.exitCode).toBe(0);
    const built = JSON.parse(build.stdout) as { filesystem: { uuid: string; sizeBytes: number } };
    expect(built.filesystem.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await readdir(dir)).sort()).toEqual(['merged.tar', 'root.img']);
  });

  it('prints --version, and the kernels in use with --verbose', async () => {
    const plain = await runCli(['--version']);
    expect(plain.stdout).toMatch(/^amikit \d+\.\d+\.\d+\n$/);
    const verbose = await runCli(['--version', '--verbose']);
    expect(verbose.stdout).toMatch(/kernels: /);
  });

  it('runs as an executable through its shebang line, node flags included (as the installed bin does)', async () => {
    const direct = await run(CLI_PATH, ['--version'], {});
    expect(direct.exitCode, direct.stderr).toBe(0);
    expect(direct.stdout).toMatch(/^amikit \d+\.\d+\.\d+\n$/);
    // The shebang's settings reach the process; run through plain `node` they do not.
    const verbose = await run(CLI_PATH, ['--version', '--verbose']);
    expect(verbose.stdout).toMatch(/^runtime: node flags --max-semi-space-size=8 --no-turbo-inlining; thread pool 2$/m);
    const plain = await runCli(['--version', '--verbose']);
    expect(plain.stdout).toContain(`runtime: node flags (none); thread pool ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (libuv default)'}\n`);
  });

  it('refuses content that does not fit --size with exit 2 and the size needed, before writing anything', async () => {
    const dir = (await tempDir('cli-nospace')).path;
    await mkdir(join(dir, 'layer'));
    await writeFile(join(dir, 'layer', 'big'), Buffer.alloc(8 * 1024 * 1024, 1));
    await chmod(join(dir, 'layer', 'big'), 0o644);
    const result = await runCli(['build', '--layer', join(dir, 'layer'), '-o', join(dir, 'root.img'), '--size', '4MiB']);
    expect(result.exitCode).toBe(2);
    expectOneLineError(result.stderr, /needs at least/);
    expect((await readdir(dir)).sort()).toEqual(['layer']);
  });
});
