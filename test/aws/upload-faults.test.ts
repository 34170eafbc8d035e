// Uploads under faults from the local endpoint (real SDK, real HTTP): throttling, 500s, resets,
// latency and stalls are ridden out; AccessDenied fails at once and deletes the snapshot.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { downloadSnapshot } from '../../src/pipeline/download-snapshot.js';
import { uploadImage } from '../../src/pipeline/upload-image.js';
import { AmikitError } from '../../src/shared/errors.js';
import { BLOCK, FAST_RETRY, GiB, endpointAndClients, firstDifferingBlock, makeSparseImage, workDir } from './upload-fixture.js';

async function snapshotIds(clients: Awaited<ReturnType<typeof endpointAndClients>>['clients']): Promise<string[]> {
  const answer = await clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
  return (answer.Snapshots ?? []).map((snapshot) => snapshot.SnapshotId!);
}

describe('upload under faults', () => {
  it('1 GiB of data with 10% throttling, 5% 500s, 1% resets and added latency completes and round-trips identical', async () => {
    const { aws, clients } = await endpointAndClients({ seed: 8 });
    const dir = await workDir('faults');
    const image = join(dir, 'data.img');
    const blocks = GiB / BLOCK;
    await makeSparseImage(image, GiB, Array.from({ length: blocks }, (_, index) => index));
    aws.faults.add({ kind: 'throttle', operations: ['PutSnapshotBlock'], rate: 0.1 });
    aws.faults.add({ kind: 'server-error', operations: ['PutSnapshotBlock'], rate: 0.05 });
    aws.faults.add({ kind: 'reset', operations: ['PutSnapshotBlock'], rate: 0.01 });
    aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], rate: 0.2, latencyMs: 20 });
    aws.faults.add({ kind: 'throttle', operations: ['DescribeSnapshots', 'CompleteSnapshot'], times: 1 });
    const started = performance.now();
    const result = await uploadImage({ imagePath: image, clients, retry: FAST_RETRY });
    const uploadSec = (performance.now() - started) / 1000;
    expect(result.blocksSent).toBe(blocks);
    expect(aws.faults.injected.throttle).toBeGreaterThan(blocks * 0.05);
    expect(aws.faults.injected.serverError).toBeGreaterThan(blocks * 0.02);
    expect(aws.faults.injected.reset).toBeGreaterThan(0);
    expect(result.retries).toBeGreaterThanOrEqual(aws.faults.injected.throttle + aws.faults.injected.serverError + aws.faults.injected.reset);
    expect(result.concurrency.decreases).toBeGreaterThan(0);
    aws.faults.clear();
    const out = join(dir, 'back.img');
    await downloadSnapshot({ snapshotId: result.snapshotId, outputPath: out, clients });
    expect(await firstDifferingBlock(image, out)).toBeUndefined();
    console.log(`1 GiB under faults: upload ${uploadSec.toFixed(1)} s, ${result.retries} retries (${result.throttles} throttled), lowest concurrency ${result.concurrency.lowest}`);
  });

  it('AccessDenied on PutSnapshotBlock fails at once (no retries, no further blocks) with one clear line and deletes the snapshot', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('denied');
    const image = join(dir, 'data.img');
    const blocks = 512;
    await makeSparseImage(image, blocks * BLOCK, Array.from({ length: blocks }, (_, index) => index));
    aws.faults.add({ kind: 'access-denied', operations: ['PutSnapshotBlock'] });
    const started = performance.now();
    const error = await uploadImage({ imagePath: image, clients, concurrency: 16 }).catch((e: unknown) => e);
    // Seconds even on a loaded machine (about 0.3 s on an idle one); the counts below are the real proof.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(error).toBeInstanceOf(AmikitError);
    expect((error as AmikitError).code).toBe('AWS');
    expect((error as AmikitError).message).toMatch(/^PutSnapshotBlock \(snapshot snap-[0-9a-f]+, block \d+\) failed: AccessDeniedException UNAUTHORIZED_ACCOUNT: User is not authorized to perform: ebs:PutSnapshotBlock$/);
    // Only the requests already in flight were made, each once: denied blocks are never retried.
    const puts = aws.requestLog.filter((entry) => entry.operation === 'PutSnapshotBlock');
    expect(puts.length).toBeLessThanOrEqual(16);
    expect(puts.every((entry) => entry.status === 403)).toBe(true);
    expect(aws.requestLog.filter((entry) => entry.operation === 'DeleteSnapshot').map((entry) => entry.status)).toEqual([200]);
    expect(aws.requestLog.some((entry) => entry.operation === 'CompleteSnapshot')).toBe(false);
    expect(await snapshotIds(clients)).toEqual([]);
  });

  it('a stalled server times the request out and the retry succeeds; a server that never answers fails in bounded time', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' }, { requestTimeoutMs: 500 });
    const dir = await workDir('stall');
    const image = join(dir, 'data.img');
    await makeSparseImage(image, 16 * BLOCK, Array.from({ length: 16 }, (_, index) => index));
    aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], latencyMs: 30_000, times: 3 });
    const result = await uploadImage({ imagePath: image, clients, retry: FAST_RETRY });
    expect(result.blocksSent).toBe(16);
    expect(result.retries).toBeGreaterThanOrEqual(3);

    aws.faults.add({ kind: 'latency', operations: ['PutSnapshotBlock'], latencyMs: 30_000 });
    const started = performance.now();
    const error = await uploadImage({ imagePath: image, clients, retry: { ...FAST_RETRY, maxAttempts: 3 } }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((error as AmikitError).message).toMatch(/^PutSnapshotBlock \(snapshot snap-[0-9a-f]+, block \d+\) failed: TimeoutError.*\(still failing after 3 attempts\)$/);
    expect(await snapshotIds(clients)).toEqual([result.snapshotId]);
  });

  it('rides out the "snapshot not visible yet" window after StartSnapshot', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('not-visible');
    const image = join(dir, 'data.img');
    await makeSparseImage(image, 8 * BLOCK, [0, 7]);
    aws.faults.snapshotNotFoundWindowMs = 400;
    const result = await uploadImage({ imagePath: image, clients, retry: { baseDelayMs: 50, maxDelayMs: 200 } });
    expect(result.blocksSent).toBe(2);
    expect(aws.faults.injected.notFound).toBeGreaterThan(0);
  });
});
