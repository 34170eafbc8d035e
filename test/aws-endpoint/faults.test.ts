// Fault injection of the local AWS endpoint, each mode observed through the SDK the way a client of
// AWS would see it (EBS quotas: 1000 PutSnapshotBlock/s per snapshot; EC2 "Request throttling";
// coldsnap #43 for the "snapshot does not exist" window).
import { describe, expect, it } from 'vitest';
import { GetSnapshotBlockCommand, ListSnapshotBlocksCommand, StartSnapshotCommand } from '@aws-sdk/client-ebs';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { createAwsClients } from '../support/aws-endpoint/aws-clients.js';
import { ManualClock } from '../support/aws-endpoint/manual-clock.js';
import { endpointForTest, patternBlock, putBlock, rejectionOf, uploadSnapshot } from './endpoint-fixture.js';

describe('throttling', () => {
  it('throttles PutSnapshotBlock above the per-snapshot cap with RESOURCE_LEVEL_THROTTLE, until the second passes', async () => {
    const clock = new ManualClock();
    const { ebs, aws } = await endpointForTest({ clock });
    aws.faults.setRateCap('PutSnapshotBlock', 5);
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => putBlock(ebs, SnapshotId as string, i, patternBlock(i))));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as { name: string; Reason?: string });
    expect(rejected).toHaveLength(3);
    for (const error of rejected) expect(error).toMatchObject({ name: 'RequestThrottledException', Reason: 'RESOURCE_LEVEL_THROTTLE' });
    clock.advance(1000);
    await putBlock(ebs, SnapshotId as string, 9, patternBlock(9));
  });

  it('throttles at a rate: RequestThrottledException on EBS, RequestLimitExceeded on EC2', async () => {
    const { ebs, ec2, aws } = await endpointForTest();
    aws.faults.add({ kind: 'throttle', operations: ['StartSnapshot', 'DescribeImages'], times: 2 });
    const ebsError = await rejectionOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })));
    expect(ebsError).toMatchObject({ name: 'RequestThrottledException', Reason: 'ACCOUNT_THROTTLED' });
    const ec2Error = await rejectionOf(ec2.send(new DescribeImagesCommand({})));
    expect(ec2Error.name).toBe('RequestLimitExceeded');
    expect(ec2Error.$metadata?.httpStatusCode).toBe(503);
    await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })); // `times` used up
  });

  it('hits about the given fraction of requests, the same ones on every run (seeded)', async () => {
    const counts: number[] = [];
    for (let run = 0; run < 2; run++) {
      const { ec2, aws } = await endpointForTest({ seed: 42 });
      aws.faults.add({ kind: 'throttle', rate: 0.3 });
      const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => ec2.send(new DescribeImagesCommand({}))));
      counts.push(outcomes.filter((o) => o.status === 'rejected').length);
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[0]).toBeGreaterThan(15);
    expect(counts[0]).toBeLessThan(45);
  });

  it('is absorbed by the SDK retry strategy when the client allows retries', async () => {
    const { aws } = await endpointForTest();
    const { ebs } = createAwsClients(aws, { maxAttempts: 3 });
    aws.faults.add({ kind: 'throttle', operations: ['StartSnapshot'], times: 1 });
    const out = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    expect(out.$metadata.attempts).toBe(2);
  });
});

describe('server errors, resets and latency', () => {
  it('answers 500 InternalServerException / 503 on EBS and InternalError / Unavailable on EC2', async () => {
    const { ebs, ec2, aws } = await endpointForTest();
    aws.faults.add({ kind: 'server-error', status: 500, operations: ['StartSnapshot', 'DescribeImages'], times: 2 });
    const e500 = await rejectionOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })));
    expect(e500).toMatchObject({ name: 'InternalServerException', $metadata: { httpStatusCode: 500 } });
    expect((await rejectionOf(ec2.send(new DescribeImagesCommand({})))).name).toBe('InternalError');
    aws.faults.add({ kind: 'server-error', status: 503, times: 2 });
    expect((await rejectionOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })))).$metadata?.httpStatusCode).toBe(503);
    expect((await rejectionOf(ec2.send(new DescribeImagesCommand({})))).name).toBe('Unavailable');
  });

  it('resets the connection mid-body: a block read gets half its bytes, and nothing is stored for a reset write', async () => {
    const { ebs, aws } = await endpointForTest();
    const snapshotId = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)]]));
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
    aws.faults.add({ kind: 'reset', operations: ['GetSnapshotBlock', 'PutSnapshotBlock'] });
    const read = async () => {
      const out = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: 0, BlockToken: listed.Blocks?.[0]?.BlockToken }));
      return (out.BlockData as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    };
    await expect(read()).rejects.toThrow();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    await expect(putBlock(ebs, SnapshotId as string, 0, patternBlock(0))).rejects.toThrow();
    expect(aws.faults.injected.reset).toBe(2);
    expect(aws.requestLog.filter((r) => r.status === 0).map((r) => r.operation)).toEqual(['GetSnapshotBlock', 'PutSnapshotBlock']);
  });

  it('adds latency a client timeout can observe', async () => {
    const { aws } = await endpointForTest();
    const { ec2 } = createAwsClients(aws, { requestTimeoutMs: 50 });
    aws.faults.add({ kind: 'latency', latencyMs: 400, operations: ['DescribeImages'], times: 1 });
    const error = await rejectionOf(ec2.send(new DescribeImagesCommand({})));
    expect(error.name).toBe('TimeoutError');
    expect(aws.faults.injected.latency).toBe(1);
  });
});

describe('"snapshot does not exist" right after StartSnapshot (coldsnap #43)', () => {
  it('answers PutSnapshotBlock with ResourceNotFoundException until the window passes', async () => {
    const clock = new ManualClock();
    const { ebs, aws } = await endpointForTest({ clock });
    aws.faults.snapshotNotFoundWindowMs = 120_000;
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const early = await rejectionOf(putBlock(ebs, SnapshotId as string, 0, patternBlock(0)));
    expect(early).toMatchObject({ name: 'ResourceNotFoundException', Reason: 'SNAPSHOT_NOT_FOUND' });
    clock.advance(120_000);
    await putBlock(ebs, SnapshotId as string, 0, patternBlock(0));
  });
});
