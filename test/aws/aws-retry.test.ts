// The retry policy against real SDK errors from the local endpoint: which failures are retried
// (throttling with its Reason, 5xx, resets, timeouts, the not-visible-yet window) and which fail at once.
import { onTestFinished, describe, expect, it } from 'vitest';
import { PutSnapshotBlockCommand, StartSnapshotCommand } from '@aws-sdk/client-ebs';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { createAwsClients } from '../../src/aws/aws-clients.js';
import { classifyAwsError, withRetry, type AwsFailure } from '../../src/aws/retry.js';
import { AmikitError } from '../../src/shared/errors.js';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/aws-endpoint.js';
import { createHash } from 'node:crypto';

const BLOCK = Buffer.alloc(524288, 7);
const BLOCK_SHA256 = createHash('sha256').update(BLOCK).digest('base64');

async function setUp(requestTimeoutMs?: number) {
  const aws = await startAwsEndpoint({ storage: 'memory' });
  onTestFinished(() => aws.stop());
  const clients = createAwsClients({ env: environmentOf(aws), credentials: aws.credentials, region: aws.region, ...(requestTimeoutMs ? { requestTimeoutMs } : {}) });
  onTestFinished(() => clients.destroy());
  return { aws, ...clients };
}

function environmentOf(aws: AwsEndpoint): NodeJS.ProcessEnv {
  return { AWS_ENDPOINT_URL_EBS: aws.ebsUrl, AWS_ENDPOINT_URL_EC2: aws.ec2Url };
}

function put(snapshotId: string, blockIndex = 0) {
  return new PutSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: blockIndex, BlockData: BLOCK, DataLength: BLOCK.length, Checksum: BLOCK_SHA256, ChecksumAlgorithm: 'SHA256' });
}

async function failureOf(promise: Promise<unknown>, options: { notFoundIsTransient?: boolean } = {}): Promise<AwsFailure> {
  try {
    await promise;
  } catch (error) {
    return classifyAwsError(error, options);
  }
  throw new Error('the call succeeded');
}

describe('classifyAwsError on SDK errors', () => {
  it('throttling (EBS Reason and EC2 RequestLimitExceeded), 500/503 and resets are retryable', async () => {
    const { aws, ebs, ec2 } = await setUp();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const removeThrottle = aws.faults.add({ kind: 'throttle', times: 2 });
    expect(await failureOf(ebs.send(put(SnapshotId!)))).toMatchObject({ kind: 'throttle', code: 'RequestThrottledException', reason: 'ACCOUNT_THROTTLED' });
    expect(await failureOf(ec2.send(new DescribeSnapshotsCommand({})))).toMatchObject({ kind: 'throttle', code: 'RequestLimitExceeded' });
    removeThrottle();
    aws.faults.add({ kind: 'server-error', times: 1, status: 500 });
    expect(await failureOf(ebs.send(put(SnapshotId!)))).toMatchObject({ kind: 'server', httpStatus: 500 });
    aws.faults.add({ kind: 'server-error', times: 1, status: 503 });
    expect(await failureOf(ec2.send(new DescribeSnapshotsCommand({})))).toMatchObject({ kind: 'server' });
    aws.faults.add({ kind: 'reset', times: 1 });
    expect((await failureOf(ebs.send(put(SnapshotId!)))).kind).toBe('network');
    aws.faults.add({ kind: 'reset', times: 1 });
    expect((await failureOf(ec2.send(new DescribeSnapshotsCommand({})))).kind).toBe('network');
  });

  it('a stalled server makes the request time out (retryable) instead of hanging', async () => {
    const { aws, ebs } = await setUp(300);
    aws.faults.add({ kind: 'latency', latencyMs: 2000, times: 1 });
    const started = Date.now();
    expect((await failureOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })))).kind).toBe('network');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('validation, not found and bad signatures fail at once; not found is transient only inside the window', async () => {
    const { aws, ebs } = await setUp();
    expect(await failureOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 0 })))).toMatchObject({ kind: 'fatal', code: 'ValidationException' });
    const missing = 'snap-0123456789abcdef0';
    expect(await failureOf(ebs.send(put(missing)))).toMatchObject({ kind: 'fatal', code: 'ResourceNotFoundException', reason: 'SNAPSHOT_NOT_FOUND' });
    expect(await failureOf(ebs.send(put(missing)), { notFoundIsTransient: true })).toMatchObject({ kind: 'not-visible-yet' });
    const wrong = createAwsClients({ env: environmentOf(aws), region: aws.region, credentials: { ...aws.credentials, secretAccessKey: 'wrong' } });
    onTestFinished(() => wrong.destroy());
    expect(await failureOf(wrong.ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })))).toMatchObject({ kind: 'fatal', httpStatus: 403 });
  });
});

describe('withRetry', () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 5 };

  it('rides out throttling, 500s and resets, counting each retry', async () => {
    const { aws, ebs } = await setUp();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    aws.faults.add({ kind: 'throttle', times: 1 });
    aws.faults.add({ kind: 'server-error', times: 1 });
    aws.faults.add({ kind: 'reset', times: 1 });
    const kinds: string[] = [];
    await withRetry('PutSnapshotBlock', (signal) => ebs.send(put(SnapshotId!), { abortSignal: signal }), { ...fast, onRetry: (failure) => kinds.push(failure.kind) });
    expect(kinds).toEqual(['throttle', 'server', 'network']);
  });

  it('retries SNAPSHOT_NOT_FOUND right after StartSnapshot, then succeeds', async () => {
    const { aws, ebs } = await setUp();
    aws.faults.snapshotNotFoundWindowMs = 300;
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    let retries = 0;
    await withRetry('PutSnapshotBlock', (signal) => ebs.send(put(SnapshotId!), { abortSignal: signal }), {
      baseDelayMs: 50,
      maxDelayMs: 200,
      maxAttempts: 20,
      notFoundRetryableUntilMs: Date.now() + 120_000,
      onRetry: () => retries++,
    });
    expect(retries).toBeGreaterThan(0);
    expect(aws.faults.injected.notFound).toBe(retries);
  });

  it('fails at once on a validation error with one line naming the call and block', async () => {
    const { ebs } = await setUp();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    let attempts = 0;
    const bad = new PutSnapshotBlockCommand({ SnapshotId: SnapshotId!, BlockIndex: 0, BlockData: BLOCK, DataLength: BLOCK.length, Checksum: Buffer.alloc(32).toString('base64'), ChecksumAlgorithm: 'SHA256' });
    const error = await withRetry('PutSnapshotBlock', (signal) => (attempts++, ebs.send(bad, { abortSignal: signal })), { ...fast, data: { snapshotId: SnapshotId, blockIndex: 0 } }).catch((e: unknown) => e);
    expect(attempts).toBe(1);
    expect(error).toBeInstanceOf(AmikitError);
    expect((error as AmikitError).code).toBe('AWS');
    expect((error as AmikitError).message).toMatch(new RegExp(`^PutSnapshotBlock \\(snapshot ${SnapshotId}, block 0\\) failed: ValidationException: .*checksum`, 'i'));
    expect((error as AmikitError).message).not.toContain('\n');
  });

  it('gives up after maxAttempts when the failure persists', async () => {
    const { aws, ec2 } = await setUp();
    aws.faults.add({ kind: 'server-error' });
    const error = await withRetry('DescribeSnapshots', (signal) => ec2.send(new DescribeSnapshotsCommand({}), { abortSignal: signal }), { ...fast, maxAttempts: 3 }).catch((e: unknown) => e);
    expect((error as AmikitError).message).toMatch(/^DescribeSnapshots failed: InternalError.*\(still failing after 3 attempts\)$/);
    expect(aws.faults.injected.serverError).toBe(3);
  });

  it('an abort stops the backoff at once and is not retried', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const pending = withRetry('X', async () => {
      attempts++;
      throw Object.assign(new Error('busy'), { name: 'ThrottlingException' });
    }, { baseDelayMs: 10_000, maxDelayMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted')), 20);
    await expect(pending).rejects.toThrow('interrupted');
    expect(attempts).toBe(1);
  });
});
