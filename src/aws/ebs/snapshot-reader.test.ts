import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EBSClient } from '@aws-sdk/client-ebs';
import { AmikitError } from '../../shared/errors.js';
import { SnapshotReader } from './snapshot-reader.js';

const BLOCK = 524288;

/** An EBS client stand-in answering one listed block with `body` and the checksum of `checksummed`. */
function fakeEbs(body: Buffer, checksummed: Buffer): EBSClient {
  return {
    send: async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'ListSnapshotBlocksCommand') return { VolumeSize: 1, BlockSize: BLOCK, Blocks: [{ BlockIndex: 3, BlockToken: 't' }] };
      return {
        BlockData: Object.assign(Readable.from([body]), { transformToByteArray: async () => new Uint8Array(body) }),
        DataLength: body.length,
        Checksum: createHash('sha256').update(checksummed).digest('base64'),
        ChecksumAlgorithm: 'SHA256',
      };
    },
  } as unknown as EBSClient;
}

describe('SnapshotReader', () => {
  it('hands over a block whose body matches its checksum', async () => {
    const body = Buffer.alloc(BLOCK, 5);
    const reader = await SnapshotReader.open(fakeEbs(body, body), 'snap-0123456789abcdef0');
    const seen: number[] = [];
    await reader.forEachBlock(async (blockIndex, data) => void (seen.push(blockIndex), expect(data.equals(body)).toBe(true)));
    expect(seen).toEqual([3]);
  });

  it('refuses a block one byte off its checksum, naming the snapshot and block', async () => {
    const body = Buffer.alloc(BLOCK, 5);
    const corrupt = Buffer.from(body);
    corrupt[1000] = 6;
    const reader = await SnapshotReader.open(fakeEbs(corrupt, body), 'snap-0123456789abcdef0');
    const error = await reader.forEachBlock(async () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmikitError);
    expect((error as AmikitError).message).toMatch(/^GetSnapshotBlock \(snapshot snap-0123456789abcdef0, block 3\): the body's SHA-256 .* is not the checksum sent/);
  });
});
