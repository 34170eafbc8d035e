// `amikit upload` and `amikit download` as a user runs them: the SDK's standard chain pointed at the
// local endpoint by environment, the id on stdout, --json details, exit codes and one-line errors.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { CLI_PATH, runCli } from '../support/run-cli.js';
import { BLOCK, GiB, endpointAndClients, firstDifferingBlock, makeSparseImage, workDir } from './upload-fixture.js';

describe('amikit upload / download', () => {
  it('uploads, prints the snapshot id, and downloads it back identical; --json has the counts', async () => {
    const { aws } = await endpointAndClients();
    const dir = await workDir('upload-cli');
    const image = join(dir, 'root.img');
    await makeSparseImage(image, 64 * BLOCK, [0, 3, 63]);
    const env = aws.environment();
    const plain = await runCli(['upload', image, '--description', 'cli test', '--tag', 'a=b', '--tag', 'c=d=e'], env);
    expect(plain.stderr).toBe('');
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toMatch(/^snap-[0-9a-f]{17}\n$/);
    const json = await runCli(['upload', image, '--json', '--concurrency', '4', '--no-wait'], env);
    expect(json.exitCode).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ blocksSent: 3, blocksSkipped: 61, retries: 0, volumeSizeGiB: 1, concurrency: { fixed: true, final: 4 } });
    // --no-wait: only the first upload polled DescribeSnapshots (once: this endpoint completes at once).
    expect(aws.requestLog.filter((entry) => entry.operation === 'DescribeSnapshots')).toHaveLength(1);
    expect(typeof result.seconds).toBe('number');
    const out = join(dir, 'back.img');
    const down = await runCli(['download', plain.stdout.trim(), '-o', out], env);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toMatch(/back\.img: 1 GiB, 3 blocks read/);
    expect(await firstDifferingBlock(image, out)).toBeUndefined();
  });

  it('bad usage exits 2 with one line and calls nothing', async () => {
    const { aws } = await endpointAndClients();
    const dir = await workDir('upload-cli-usage');
    const env = aws.environment();
    const cases: [string[], RegExp][] = [
      [['upload', join(dir, 'missing.img')], /^amikit: error: cannot open image .*missing\.img/],
      [['upload', join(dir, 'x.img'), '--tag', 'novalue'], /^amikit: error: invalid --tag 'novalue'/],
      [['upload', join(dir, 'x.img'), '--tag', 'aws:x=1'], /reserved/],
      [['upload', join(dir, 'x.img'), '--concurrency', '0'], /invalid --concurrency '0'/],
      [['upload', join(dir, 'x.img'), '--kms-key-id', 'alias/foo'], /invalid --kms-key-id/],
      [['download', 'vol-123', '-o', join(dir, 'o.img')], /not a snapshot id/],
      [['download', 'snap-0123456789abcdef0'], /-o\/--output is required/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args, env);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(aws.requestLog).toHaveLength(0);
  });

  it('an AWS failure exits 1 with one line; a missing snapshot leaves no output file', async () => {
    const { aws } = await endpointAndClients();
    const dir = await workDir('upload-cli-aws');
    const out = join(dir, 'o.img');
    const missing = await runCli(['download', 'snap-0123456789abcdef0', '-o', out], aws.environment());
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^amikit: error: ListSnapshotBlocks \(snapshot snap-0123456789abcdef0\) failed: ResourceNotFoundException SNAPSHOT_NOT_FOUND: .*\n$/);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    const image = join(dir, 'root.img');
    await makeSparseImage(image, GiB, [1]);
    const denied = await runCli(['upload', image], { ...aws.environment(), AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toMatch(/^amikit: error: StartSnapshot failed: InvalidSignatureException.*\n$/);
  });

  it('Ctrl-C mid-upload deletes the pending snapshot and exits 130', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('upload-cli-sigint');
    const image = join(dir, 'root.img');
    await makeSparseImage(image, 256 * BLOCK, Array.from({ length: 256 }, (_, index) => index));
    aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], latencyMs: 200 });
    const child = spawn(process.execPath, [CLI_PATH, 'upload', image, '--concurrency', '4'], { env: { ...process.env, ...aws.environment() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!aws.requestLog.some((entry) => entry.operation === 'PutSnapshotBlock') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^amikit: error: interrupted by SIGINT/m);
    expect(aws.requestLog.filter((entry) => entry.operation === 'DeleteSnapshot').map((entry) => entry.status)).toEqual([200]);
    expect(aws.requestLog.some((entry) => entry.operation === 'CompleteSnapshot')).toBe(false);
    const left = await clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(left.Snapshots ?? []).toEqual([]);
  });
});
