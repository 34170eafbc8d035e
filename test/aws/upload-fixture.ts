// Shared set-up for the upload/download tests: a local endpoint, amikit's own clients pointed at it
// through AWS_ENDPOINT_URL_*, a temp directory, and images with data, zeros and holes.
import { createCipheriv } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createAwsClients, type AwsClients, type AwsClientsOptions } from '../../src/aws/aws-clients.js';
import { startAwsEndpoint, type AwsEndpoint, type AwsEndpointOptions } from '../support/aws-endpoint/aws-endpoint.js';

export const BLOCK = 524288;
export const GiB = 1024 ** 3;
/** Short backoffs so fault tests spend their time on requests, not sleeping. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 200 };

export async function endpointAndClients(options: AwsEndpointOptions = {}, clientOptions: AwsClientsOptions = {}): Promise<{ aws: AwsEndpoint; clients: AwsClients }> {
  const aws = await startAwsEndpoint(options);
  onTestFinished(() => aws.stop());
  const clients = createAwsClients({ env: { AWS_ENDPOINT_URL_EBS: aws.ebsUrl, AWS_ENDPOINT_URL_EC2: aws.ec2Url }, region: aws.region, credentials: aws.credentials, ...clientOptions });
  onTestFinished(() => clients.destroy());
  return { aws, clients };
}

export async function workDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `amikit-${name}-`));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic incompressible bytes for block `index` (AES-128-CTR keystream: fast, seedable). */
export function patternBlock(index: number, lengthBytes = BLOCK): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index >>> 0, 0);
  const cipher = createCipheriv('aes-128-ctr', Buffer.from('amikit-test-key!'), iv);
  return Buffer.concat([cipher.update(Buffer.alloc(lengthBytes)), cipher.final()]);
}

/**
 * A sparse raw image of `sizeBytes`: pattern data in the listed blocks, an explicitly written all-zero
 * block at `zeroBlock` (data on disk, zeros in content), holes everywhere else.
 */
export async function makeSparseImage(path: string, sizeBytes: number, dataBlocks: readonly number[], zeroBlock?: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.truncate(sizeBytes);
    for (const index of dataBlocks) {
      const length = Math.min(BLOCK, sizeBytes - index * BLOCK);
      await handle.write(patternBlock(index, length), 0, length, index * BLOCK);
    }
    if (zeroBlock !== undefined) await handle.write(Buffer.alloc(BLOCK), 0, BLOCK, zeroBlock * BLOCK);
  } finally {
    await handle.close();
  }
}

/**
 * Compares `copy` with `original` byte for byte: the copy must hold the original's bytes and then only
 * zeros (a snapshot is whole GiB). Returns the first differing 512 KiB block, or undefined when equal.
 */
export async function firstDifferingBlock(original: string, copy: string): Promise<number | undefined> {
  const a = await open(original, 'r');
  const b = await open(copy, 'r');
  try {
    const sizeA = (await a.stat()).size;
    const sizeB = (await b.stat()).size;
    if (sizeB < sizeA) return Math.floor(sizeB / BLOCK);
    const chunk = 16 * BLOCK;
    const bufferA = Buffer.alloc(chunk);
    const bufferB = Buffer.alloc(chunk);
    for (let position = 0; position < sizeB; position += chunk) {
      const length = Math.min(chunk, sizeB - position);
      const readA = position < sizeA ? (await a.read(bufferA, 0, Math.min(length, sizeA - position), position)).bytesRead : 0;
      bufferA.fill(0, readA, length);
      const { bytesRead } = await b.read(bufferB, 0, length, position);
      if (bytesRead !== length) return Math.floor((position + bytesRead) / BLOCK);
      if (!bufferA.subarray(0, length).equals(bufferB.subarray(0, length))) {
        for (let offset = 0; offset < length; offset += BLOCK) {
          if (!bufferA.subarray(offset, offset + BLOCK).equals(bufferB.subarray(offset, offset + BLOCK))) return (position + offset) / BLOCK;
        }
      }
    }
    return undefined;
  } finally {
    await a.close();
    await b.close();
  }
}
