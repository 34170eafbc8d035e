// `amikit publish`, `register` and `deregister` as a user runs them, with the real SDK against the local
// endpoint: every requested AMI field read back with DescribeImages, --if-exists, --copy-to, and failures
// (denied calls, Ctrl-C, SIGKILL) that leave nothing behind, checked through the endpoint's state.
import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescribeImageAttributeCommand, DescribeImagesCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { createAwsClients } from '../../src/aws/aws-clients.js';
import { publishImage } from '../../src/pipeline/publish-image.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';
import type { AwsEndpoint } from '../support/aws-endpoint/aws-endpoint.js';
import { FAST_RETRY, endpointAndClients, patternBlock, workDir } from './upload-fixture.js';

/** A directory layer: a /bin/sh whose ELF header says `machine` (0x3e x86_64, 0xb7 arm64) and `dataMiB` of incompressible data. */
async function makeLayer(dir: string, machine: number, dataMiB = 1): Promise<string> {
  const layer = join(dir, 'layer');
  await mkdir(join(layer, 'bin'), { recursive: true });
  const elf = Buffer.alloc(64);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2; // 64-bit
  elf[5] = 1; // little-endian
  elf.writeUInt16LE(machine, 18);
  await writeFile(join(layer, 'bin', 'sh'), elf);
  await chmod(join(layer, 'bin', 'sh'), 0o755);
  const data = Buffer.concat(Array.from({ length: dataMiB * 2 }, (_, index) => patternBlock(index)));
  await writeFile(join(layer, 'data.bin'), data);
  return layer;
}

async function images(ec2: EC2Client) {
  return (await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? [];
}
async function snapshots(ec2: EC2Client) {
  return (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [];
}

function spawnCli(args: string[], aws: AwsEndpoint) {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ...aws.environment() }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output, exited };
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** stderr without the directory layer's xattr warning (Node has no xattr API). */
const errors = (stderr: string) => stderr.split('\n').filter((line) => !line.startsWith('amikit: warning:')).join('\n');

const seen = (aws: AwsEndpoint, operation: string) => () => aws.requestLog.some((entry) => entry.operation === operation);

describe('amikit publish / register / deregister', () => {
  it('publish: layers to an available AMI whose DescribeImages shows every requested field; no image file kept', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('publish');
    const layer = await makeLayer(dir, 0xb7);
    const result = await runCli(
      ['publish', '--layer', layer, '--name', 'amikit-test (1)', '--description', 'published by a test', '--tpm', 'v2.0', '--tag', 'team=os', '--tag', 'build=7',
        '--launch-permission', '123456789012', '--volume-size', '4', '--seed', 's', '--json'],
      { ...aws.environment(), SOURCE_DATE_EPOCH: '1700000000' },
    );
    expect(errors(result.stderr)).toBe('');
    expect(result.exitCode).toBe(0);
    const published = JSON.parse(result.stdout);
    expect(published).toMatchObject({ name: 'amikit-test (1)', reused: false, state: 'available', architecture: 'arm64', copies: [] });
    expect(published.upload.state).toBe('completed');
    expect(published.upload.blocksSent).toBeGreaterThan(2);
    const [image] = (await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [published.imageId] }))).Images!;
    expect(image).toMatchObject({
      Name: 'amikit-test (1)',
      Description: 'published by a test',
      State: 'available',
      Architecture: 'arm64',
      VirtualizationType: 'hvm',
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      EnaSupport: true,
      SriovNetSupport: 'simple',
      BootMode: 'uefi',
      TpmSupport: 'v2.0',
      ImdsSupport: 'v2.0',
    });
    expect(image!.BlockDeviceMappings).toEqual([
      expect.objectContaining({ DeviceName: '/dev/xvda', Ebs: expect.objectContaining({ SnapshotId: published.snapshotId, VolumeType: 'gp3', DeleteOnTermination: true, VolumeSize: 4 }) }),
    ]);
    expect(new Map(image!.Tags!.map((t) => [t.Key, t.Value]))).toEqual(new Map([['team', 'os'], ['build', '7']]));
    const permissions = await clients.ec2.send(new DescribeImageAttributeCommand({ ImageId: published.imageId, Attribute: 'launchPermission' }));
    expect(permissions.LaunchPermissions).toEqual([{ UserId: '123456789012' }]);
    const [snapshot] = await snapshots(clients.ec2);
    expect(snapshot).toMatchObject({ SnapshotId: published.snapshotId, State: 'completed' });
    expect(new Map(snapshot!.Tags!.map((t) => [t.Key, t.Value]))).toEqual(new Map([['team', 'os'], ['build', '7']]));
    // No scratch image left in the working directory (the layer is all there is).
    expect(await readdir(dir)).toEqual(['layer']);

    // The same name again: fails before building (no StartSnapshot), or reuses the image.
    const starts = aws.requestLog.filter((entry) => entry.operation === 'StartSnapshot').length;
    const again = await runCli(['publish', '--layer', layer, '--name', 'amikit-test (1)'], aws.environment());
    expect(again.exitCode).toBe(1);
    expect(errors(again.stderr)).toBe(`amikit: error: an image named 'amikit-test (1)' already exists (${published.imageId}); pick another --name, or --if-exists reuse to use it\n`);
    const reuse = await runCli(['publish', '--layer', layer, '--name', 'amikit-test (1)', '--if-exists', 'reuse'], aws.environment());
    expect(reuse.exitCode).toBe(0);
    expect(reuse.stdout).toBe(`${published.imageId}\n`);
    expect(aws.requestLog.filter((entry) => entry.operation === 'StartSnapshot')).toHaveLength(starts);
    expect(await images(clients.ec2)).toHaveLength(1);

    // deregister --delete-snapshots removes both.
    const gone = await runCli(['deregister', published.imageId, '--delete-snapshots'], aws.environment());
    expect(gone.exitCode).toBe(0);
    expect(gone.stdout).toBe(`${published.imageId} deregistered; deleted ${published.snapshotId}\n`);
    expect(await images(clients.ec2)).toEqual([]);
    expect(await snapshots(clients.ec2)).toEqual([]);
  });

  it('register: explicit defaults, --if-exists fail/reuse, --copy-to waits for the copy; deregister keeps snapshots without the flag', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory', delays: { imageAvailableMs: 300 } });
    const dir = await workDir('register');
    const layer = await makeLayer(dir, 0x3e);
    const image = join(dir, 'root.img');
    expect((await runCli(['build', '--layer', layer, '-o', image], {})).exitCode).toBe(0);
    const upload = await runCli(['upload', image], aws.environment());
    expect(upload.exitCode).toBe(0);
    const snapshotId = upload.stdout.trim();
    const registered = await runCli(['register', '--snapshot', snapshotId, '--name', 'reg-1', '--copy-to', 'eu-west-1', '--json'], aws.environment());
    expect(registered.stderr).toBe('');
    expect(registered.exitCode).toBe(0);
    const result = JSON.parse(registered.stdout);
    expect(result).toMatchObject({ name: 'reg-1', snapshotId, state: 'available', reused: false, copies: [{ region: 'eu-west-1' }] });
    const [source] = (await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [result.imageId] }))).Images!;
    expect(source).toMatchObject({ Architecture: 'x86_64', VirtualizationType: 'hvm', EnaSupport: true, SriovNetSupport: 'simple', BootMode: 'uefi', ImdsSupport: 'v2.0', State: 'available' });
    expect(source!.TpmSupport).toBeUndefined();
    const west = createAwsClients({ env: { AWS_ENDPOINT_URL_EC2: aws.ec2Url, AWS_ENDPOINT_URL_EBS: aws.ebsUrl }, region: 'eu-west-1', credentials: aws.credentials });
    try {
      const [copy] = (await west.ec2.send(new DescribeImagesCommand({ ImageIds: [result.copies[0].imageId] }))).Images!;
      expect(copy).toMatchObject({ Name: 'reg-1', State: 'available', SourceImageId: result.imageId, SourceImageRegion: 'us-east-1', Architecture: 'x86_64', BootMode: 'uefi' });
    } finally {
      west.destroy();
    }
    // Duplicates: fail by default (exit 1, one line), reuse prints the existing id.
    const dup = await runCli(['register', '--snapshot', snapshotId, '--name', 'reg-1'], aws.environment());
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr).toMatch(/^amikit: error: an image named 'reg-1' already exists \(ami-[0-9a-f]+\).*\n$/);
    const reuse = await runCli(['register', '--snapshot', snapshotId, '--name', 'reg-1', '--if-exists', 'reuse'], aws.environment());
    expect(reuse.stdout).toBe(`${result.imageId}\n`);
    expect(aws.requestLog.filter((entry) => entry.operation === 'RegisterImage')).toHaveLength(1);
    // Without --delete-snapshots the snapshot stays.
    expect((await runCli(['deregister', result.imageId], aws.environment())).exitCode).toBe(0);
    expect((await images(clients.ec2)).map((i) => i.ImageId)).toEqual([]);
    expect((await snapshots(clients.ec2)).map((s) => s.SnapshotId)).toContain(snapshotId);
  });

  it('bad flags exit 2 with one line before any AWS call', async () => {
    const { aws } = await endpointAndClients();
    const cases: [string[], RegExp][] = [
      [['register', '--name', 'x-1'], /--snapshot is required/],
      [['register', '--snapshot', 'snap-0123456789abcdef0'], /--name is required/],
      [['register', '--snapshot', 'snap-0123456789abcdef0', '--name', 'a*b'], /invalid --name/],
      [['register', '--snapshot', 'snap-0123456789abcdef0', '--name', 'abc', '--architecture', 'i386'], /invalid --architecture 'i386'/],
      [['register', '--snapshot', 'snap-0123456789abcdef0', '--name', 'abc', '--tpm', 'v2.0', '--boot-mode', 'legacy-bios'], /--tpm v2.0 needs/],
      [['register', '--snapshot', 'snap-0123456789abcdef0', '--name', 'abc', '--launch-permission', '123'], /invalid --launch-permission/],
      [['register', '--snapshot', 'snap-0123456789abcdef0', '--name', 'abc', '--copy-to', 'Mars'], /invalid --copy-to/],
      [['register', '--snapshot', 'snap-0123456789abcdef0', '--name', 'abc', '--if-exists', 'overwrite'], /invalid --if-exists/],
      [['deregister', 'snap-0123456789abcdef0'], /not an image id/],
      [['publish', '--layer', 'examples/layers/app.tar'], /--name is required/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args, aws.environment());
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(aws.requestLog).toHaveLength(0);
  });

  it('RegisterImage denied ⇒ the snapshot is deleted, exit 1 with one line', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('publish-deny-register');
    const layer = await makeLayer(dir, 0x3e);
    aws.faults.add({ kind: 'access-denied', operations: ['RegisterImage'] });
    const result = await runCli(['publish', '--layer', layer, '--name', 'denied'], aws.environment());
    expect(result.exitCode).toBe(1);
    expect(errors(result.stderr)).toMatch(/^amikit: error: RegisterImage \(snapshot snap-[0-9a-f]+\) failed: UnauthorizedOperation.*\n$/);
    expect(aws.requestLog.some((entry) => entry.operation === 'CompleteSnapshot' && entry.status < 300)).toBe(true);
    expect(await snapshots(clients.ec2)).toEqual([]);
    expect(await images(clients.ec2)).toEqual([]);
  });

  it('AccessDenied on PutSnapshotBlock ⇒ fails within seconds, nothing left', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('publish-deny-put');
    const layer = await makeLayer(dir, 0x3e, 16);
    aws.faults.add({ kind: 'access-denied', operations: ['PutSnapshotBlock'] });
    const startedMs = Date.now();
    const result = await runCli(['publish', '--layer', layer, '--name', 'denied'], aws.environment());
    const seconds = (Date.now() - startedMs) / 1000;
    expect(result.exitCode).toBe(1);
    expect(errors(result.stderr)).toMatch(/^amikit: error: PutSnapshotBlock \(snapshot snap-[0-9a-f]+, block \d+\) failed: AccessDeniedException UNAUTHORIZED_ACCOUNT.*\n$/);
    expect(seconds).toBeLessThan(10);
    expect(await snapshots(clients.ec2)).toEqual([]);
    expect(await images(clients.ec2)).toEqual([]);
    expect(aws.requestLog.some((entry) => entry.operation === 'RegisterImage')).toBe(false);
  });

  it('Ctrl-C mid-upload and Ctrl-C while the AMI is pending both exit 130 and leave nothing', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('publish-sigint');
    const layer = await makeLayer(dir, 0x3e, 32);
    const removeLatency = aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], latencyMs: 200 });
    const upload = spawnCli(['publish', '--layer', layer, '--name', 'interrupted', '--concurrency', '4'], aws);
    await until(seen(aws, 'PutSnapshotBlock'), 'the first PutSnapshotBlock');
    upload.child.kill('SIGINT');
    expect((await upload.exited).code).toBe(130);
    expect(upload.output.stdout).toBe('');
    expect(errors(upload.output.stderr)).toMatch(/^amikit: error: interrupted by SIGINT/m);
    expect(await snapshots(clients.ec2)).toEqual([]);
    expect(aws.requestLog.some((entry) => entry.operation === 'RegisterImage')).toBe(false);

    removeLatency();
    aws.delays.imageAvailableMs = 60_000;
    const pending = spawnCli(['publish', '--layer', layer, '--name', 'interrupted', '--concurrency', '16'], aws);
    await until(seen(aws, 'RegisterImage'), 'RegisterImage', 60_000);
    await until(() => aws.requestLog.filter((entry) => entry.operation === 'DescribeImages').length >= 2, 'a DescribeImages poll');
    pending.child.kill('SIGINT');
    expect((await pending.exited).code).toBe(130);
    expect(pending.output.stdout).toBe('');
    expect(aws.requestLog.filter((entry) => entry.operation === 'DeregisterImage').map((entry) => entry.status)).toEqual([200]);
    expect(await images(clients.ec2)).toEqual([]);
    expect(await snapshots(clients.ec2)).toEqual([]);
  });

  it('SIGKILL mid-upload leaves no AMI (registration only follows a completed snapshot)', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('publish-sigkill');
    const layer = await makeLayer(dir, 0x3e, 16);
    aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], latencyMs: 200 });
    const run = spawnCli(['publish', '--layer', layer, '--name', 'killed', '--concurrency', '4'], aws);
    await until(seen(aws, 'PutSnapshotBlock'), 'the first PutSnapshotBlock');
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await images(clients.ec2)).toEqual([]);
    expect(aws.requestLog.some((entry) => entry.operation === 'CompleteSnapshot' || entry.operation === 'RegisterImage')).toBe(false);
    // The snapshot is left pending: StartSnapshot's Timeout (30 min) makes EBS discard it.
    expect((await snapshots(clients.ec2)).map((s) => s.State)).toEqual(['pending']);
  });

  it('an AMI that never becomes available is deregistered and its snapshot deleted; so is everything when --copy-to fails', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory', delays: { imageAvailableMs: 60_000 } });
    const dir = await workDir('publish-unavailable');
    const layer = await makeLayer(dir, 0x3e);
    const warnings: string[] = [];
    const failing = publishImage({
      layers: [layer],
      clients,
      region: aws.region,
      ec2For: () => clients.ec2,
      settings: { name: 'never-available', bootMode: 'uefi' },
      wait: { timeoutMs: 1500, intervalMs: 100 },
      retry: FAST_RETRY,
      onWarning: (message) => warnings.push(message),
    });
    await expect(failing).rejects.toThrow(/^gave up waiting for image ami-[0-9a-f]+ to become available after \d+ s \(still pending\)$/);
    expect(warnings.filter((w) => !/extended attributes/.test(w))).toEqual([]);
    expect(aws.requestLog.filter((entry) => entry.operation === 'DeregisterImage').map((entry) => entry.status)).toEqual([200]);
    expect(await images(clients.ec2)).toEqual([]);
    expect(await snapshots(clients.ec2)).toEqual([]);

    aws.delays.imageAvailableMs = 0;
    aws.faults.add({ kind: 'access-denied', operations: ['CopyImage'] });
    const copy = await runCli(['publish', '--layer', layer, '--name', 'copy-denied', '--copy-to', 'eu-west-1'], aws.environment());
    expect(copy.exitCode).toBe(1);
    expect(errors(copy.stderr)).toMatch(/^amikit: error: CopyImage \(image ami-[0-9a-f]+\) failed: UnauthorizedOperation.*\n$/);
    expect(await images(clients.ec2)).toEqual([]);
    expect(await snapshots(clients.ec2)).toEqual([]);
  });

  it('SIGTERM mid-upload exits 143 and leaves nothing', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('publish-sigterm');
    const layer = await makeLayer(dir, 0x3e, 16);
    aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], latencyMs: 200 });
    const run = spawnCli(['publish', '--layer', layer, '--name', 'terminated', '--concurrency', '4'], aws);
    await until(seen(aws, 'PutSnapshotBlock'), 'the first PutSnapshotBlock');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
    expect(await snapshots(clients.ec2)).toEqual([]);
    expect(await images(clients.ec2)).toEqual([]);
  });
});
