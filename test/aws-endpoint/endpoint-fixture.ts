// Shared set-up for the local AWS endpoint's own tests: an endpoint per test, stopped when it ends.
import { createHash } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { CompleteSnapshotCommand, PutSnapshotBlockCommand, StartSnapshotCommand, type EBSClient } from '@aws-sdk/client-ebs';
import { createAwsClients, type AwsClientOptions } from '../support/aws-endpoint/aws-clients.js';
import { startAwsEndpoint, type AwsEndpoint, type AwsEndpointOptions } from '../support/aws-endpoint/aws-endpoint.js';

export const BLOCK_BYTES = 524288;

export async function endpointForTest(options: AwsEndpointOptions = {}, clientOptions: AwsClientOptions = {}) {
  const aws: AwsEndpoint = await startAwsEndpoint(options);
  onTestFinished(() => aws.stop());
  return { aws, ...createAwsClients(aws, clientOptions) };
}

/** A 512 KiB block filled with a pattern derived from `seed`, so blocks differ from each other. */
export function patternBlock(seed: number): Buffer {
  const block = Buffer.alloc(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i += 4) block.writeUInt32LE((seed * 2654435761 + i) >>> 0, i);
  return block;
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The LINEAR aggregate computed independently: SHA-256 over raw digests in ascending block index. */
export function linearChecksum(blocks: ReadonlyMap<number, Buffer>): string {
  const hash = createHash('sha256');
  for (const index of [...blocks.keys()].sort((a, b) => a - b)) hash.update(sha256(blocks.get(index) as Buffer));
  return hash.digest('base64');
}

export async function putBlock(ebs: EBSClient, snapshotId: string, blockIndex: number, data: Buffer): Promise<void> {
  await ebs.send(
    new PutSnapshotBlockCommand({
      SnapshotId: snapshotId,
      BlockIndex: blockIndex,
      BlockData: data,
      DataLength: data.length,
      Checksum: sha256(data).toString('base64'),
      ChecksumAlgorithm: 'SHA256',
    }),
  );
}

/** Start → put every block → complete with the LINEAR checksum; returns the snapshot id. */
export async function uploadSnapshot(
  ebs: EBSClient,
  blocks: ReadonlyMap<number, Buffer>,
  start: { VolumeSize?: number; ParentSnapshotId?: string; Encrypted?: boolean } = {},
): Promise<string> {
  const started = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, ...start }));
  const snapshotId = started.SnapshotId as string;
  for (const [index, data] of blocks) await putBlock(ebs, snapshotId, index, data);
  await ebs.send(
    new CompleteSnapshotCommand({
      SnapshotId: snapshotId,
      ChangedBlocksCount: blocks.size,
      Checksum: linearChecksum(blocks),
      ChecksumAlgorithm: 'SHA256',
      ChecksumAggregationMethod: 'LINEAR',
    }),
  );
  return snapshotId;
}

/** Resolves to the rejection of `promise` (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ name: string; Reason?: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected the call to be rejected');
}
