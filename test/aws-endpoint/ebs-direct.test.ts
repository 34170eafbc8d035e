// The local endpoint's EBS direct APIs, driven only through @aws-sdk/client-ebs; each test names the
// EBS direct API reference section (or user-guide page) it checks.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ListSnapshotBlocksCommandOutput,
  CompleteSnapshotCommand,
  GetSnapshotBlockCommand,
  ListChangedBlocksCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
} from '@aws-sdk/client-ebs';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { ManualClock } from '../support/aws-endpoint/manual-clock.js';
import { BLOCK_BYTES, endpointForTest, linearChecksum, patternBlock, putBlock, rejectionOf, sha256, uploadSnapshot } from './endpoint-fixture.js';

describe('StartSnapshot (API_StartSnapshot)', () => {
  it('answers a pending snapshot with block size, tags and description echoed', async () => {
    const { ebs, aws } = await endpointForTest();
    const out = await ebs.send(
      new StartSnapshotCommand({ VolumeSize: 8, Description: 'root', Tags: [{ Key: 'app', Value: 'amikit' }], Timeout: 10 }),
    );
    expect(out.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    expect(out).toMatchObject({ Status: 'pending', VolumeSize: 8, BlockSize: BLOCK_BYTES, Description: 'root', OwnerId: aws.ownerId });
    expect(out.Tags).toEqual([{ Key: 'app', Value: 'amikit' }]);
    expect(out.StartTime).toBeInstanceOf(Date);
  });

  it.each([
    ['VolumeSize 0 (minimum is 1 GiB)', { VolumeSize: 0 }, 'INVALID_VOLUME_SIZE'],
    ['VolumeSize 65537 (maximum is 64 TiB)', { VolumeSize: 65537 }, 'INVALID_VOLUME_SIZE'],
    ['Timeout 9 minutes (range 10–4320)', { VolumeSize: 1, Timeout: 9 }, 'INVALID_PARAMETER_VALUE'],
    ['Timeout 4321 minutes', { VolumeSize: 1, Timeout: 4321 }, 'INVALID_PARAMETER_VALUE'],
    ['a tag key with the reserved aws: prefix', { VolumeSize: 1, Tags: [{ Key: 'aws:x', Value: 'v' }] }, 'INVALID_TAG'],
    ['a tag value over 255 characters', { VolumeSize: 1, Tags: [{ Key: 'k', Value: 'v'.repeat(256) }] }, 'INVALID_TAG'],
    ['51 tags (at most 50)', { VolumeSize: 1, Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, 'INVALID_TAG'],
    ['a malformed KmsKeyArn', { VolumeSize: 1, Encrypted: true, KmsKeyArn: 'not-an-arn' }, 'INVALID_CUSTOMER_KEY'],
    ['KmsKeyArn without Encrypted (ebsapis-using-encryption)', { VolumeSize: 1, KmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/abc' }, 'INVALID_PARAMETER_VALUE'],
  ])('rejects %s with ValidationException', async (_label, input, reason) => {
    const { ebs } = await endpointForTest();
    const error = await rejectionOf(ebs.send(new StartSnapshotCommand(input)));
    expect(error.name).toBe('ValidationException');
    expect(error.Reason).toBe(reason);
  });

  it('returns the original snapshot for a repeated ClientToken and ConflictException for a changed request (ebs-direct-api-idempotency)', async () => {
    const { ebs } = await endpointForTest();
    const first = await ebs.send(new StartSnapshotCommand({ VolumeSize: 2, ClientToken: 'token-1', Description: 'd' }));
    const again = await ebs.send(new StartSnapshotCommand({ VolumeSize: 2, ClientToken: 'token-1', Description: 'd' }));
    expect(again.SnapshotId).toBe(first.SnapshotId);
    const conflict = await rejectionOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 3, ClientToken: 'token-1', Description: 'd' })));
    expect(conflict.name).toBe('ConflictException');
    expect(conflict.$metadata?.httpStatusCode).toBe(409);
  });

  it('encrypts with the default key when Encrypted is set, and refuses Encrypted with ParentSnapshotId (API_StartSnapshot Encrypted)', async () => {
    const { ebs } = await endpointForTest();
    const encrypted = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, Encrypted: true }));
    expect(encrypted.KmsKeyArn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    const withKey = await ebs.send(
      new StartSnapshotCommand({ VolumeSize: 1, Encrypted: true, KmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }),
    );
    expect(withKey.KmsKeyArn).toBe('arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const parent = await uploadSnapshot(ebs, new Map([[0, patternBlock(1)]]));
    const error = await rejectionOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 1, ParentSnapshotId: parent, Encrypted: true })));
    expect(error.name).toBe('ValidationException');
  });

  it('refuses an unknown parent with ResourceNotFoundException SNAPSHOT_NOT_FOUND', async () => {
    const { ebs } = await endpointForTest();
    const error = await rejectionOf(ebs.send(new StartSnapshotCommand({ VolumeSize: 1, ParentSnapshotId: 'snap-0123456789abcdef0' })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.Reason).toBe('SNAPSHOT_NOT_FOUND');
  });

  it('moves a snapshot that sees no write for Timeout minutes to error (API_StartSnapshot Timeout)', async () => {
    const clock = new ManualClock();
    const { ebs, ec2 } = await endpointForTest({ clock });
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, Timeout: 10 }));
    clock.advance(10 * 60_000 + 1);
    const error = await rejectionOf(putBlock(ebs, SnapshotId as string, 0, patternBlock(0)));
    expect(error).toMatchObject({ name: 'ValidationException', Reason: 'WRITE_REQUEST_TIMEOUT' });
    const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId as string] }));
    expect(described.Snapshots?.[0]?.State).toBe('error');
  });
});

describe('PutSnapshotBlock (API_PutSnapshotBlock, ebsapis-using-checksums)', () => {
  it('stores a block and answers with the checksum it computed', async () => {
    const { ebs } = await endpointForTest();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const data = patternBlock(7);
    const out = await ebs.send(
      new PutSnapshotBlockCommand({
        SnapshotId,
        BlockIndex: 3,
        BlockData: data,
        DataLength: BLOCK_BYTES,
        Checksum: sha256(data).toString('base64'),
        ChecksumAlgorithm: 'SHA256',
        Progress: 50,
      }),
    );
    expect(out).toMatchObject({ Checksum: sha256(data).toString('base64'), ChecksumAlgorithm: 'SHA256' });
  });

  it('rejects a checksum that does not match the data, with a ValidationException naming the checksum', async () => {
    const { ebs } = await endpointForTest();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const data = patternBlock(1);
    const error = await rejectionOf(
      ebs.send(
        new PutSnapshotBlockCommand({
          SnapshotId,
          BlockIndex: 0,
          BlockData: data,
          DataLength: BLOCK_BYTES,
          Checksum: sha256(patternBlock(2)).toString('base64'),
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(/checksum/i);
  });

  it('rejects a block that is not 524288 bytes (DataLength: the only valid value)', async () => {
    const { ebs } = await endpointForTest();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const small = Buffer.alloc(4096, 1);
    const error = await rejectionOf(
      ebs.send(
        new PutSnapshotBlockCommand({
          SnapshotId,
          BlockIndex: 0,
          BlockData: small,
          DataLength: small.length,
          Checksum: sha256(small).toString('base64'),
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    expect(error).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_PARAMETER_VALUE' });
  });

  it('rejects a block index beyond the volume (BlockIndex = offset / 524288 within VolumeSize)', async () => {
    const { ebs } = await endpointForTest();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    await putBlock(ebs, SnapshotId as string, 2047, patternBlock(1)); // last block of 1 GiB
    const error = await rejectionOf(putBlock(ebs, SnapshotId as string, 2048, patternBlock(1)));
    expect(error).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_BLOCK' });
  });

  it('rejects writes to an unknown snapshot and to a completed one (target must be pending)', async () => {
    const { ebs } = await endpointForTest();
    const unknown = await rejectionOf(putBlock(ebs, 'snap-0123456789abcdef0', 0, patternBlock(1)));
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', Reason: 'SNAPSHOT_NOT_FOUND' });
    const done = await uploadSnapshot(ebs, new Map([[0, patternBlock(1)]]));
    const late = await rejectionOf(putBlock(ebs, done, 1, patternBlock(2)));
    expect(late).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_SNAPSHOT_ID' });
  });
});

describe('CompleteSnapshot (API_CompleteSnapshot; LINEAR aggregate in ebsapis-using-checksums)', () => {
  it('accepts the LINEAR checksum over raw digests and refuses the base64-string variant', async () => {
    const { ebs } = await endpointForTest();
    const blocks = new Map([[5, patternBlock(5)], [1, patternBlock(1)], [9, patternBlock(9)]]);
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    for (const [index, data] of blocks) await putBlock(ebs, SnapshotId as string, index, data);
    const { createHash } = await import('node:crypto');
    const overStrings = createHash('sha256')
      .update([1, 5, 9].map((i) => sha256(blocks.get(i) as Buffer).toString('base64')).join(''))
      .digest('base64');
    const complete = (checksum: string) =>
      ebs.send(
        new CompleteSnapshotCommand({ SnapshotId, ChangedBlocksCount: 3, Checksum: checksum, ChecksumAlgorithm: 'SHA256', ChecksumAggregationMethod: 'LINEAR' }),
      );
    const error = await rejectionOf(complete(overStrings));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(/checksum/i);
    expect((await complete(linearChecksum(blocks))).Status).toBe('completed');
  });

  it('refuses a ChangedBlocksCount other than the number of blocks written', async () => {
    const { ebs } = await endpointForTest();
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    await putBlock(ebs, SnapshotId as string, 0, patternBlock(0));
    await putBlock(ebs, SnapshotId as string, 0, patternBlock(1)); // a rewrite is still one changed block
    const error = await rejectionOf(ebs.send(new CompleteSnapshotCommand({ SnapshotId, ChangedBlocksCount: 2 })));
    expect(error).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_PARAMETER_VALUE' });
    expect((await ebs.send(new CompleteSnapshotCommand({ SnapshotId, ChangedBlocksCount: 1 }))).Status).toBe('completed');
  });

  it('completes asynchronously: pending until the completion delay passes (writesnapshots: asynchronous workflow)', async () => {
    const clock = new ManualClock();
    const { ebs, ec2 } = await endpointForTest({ clock, delays: { snapshotCompletionMs: 30_000 } });
    const snapshotId = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)]]));
    const describe = async () => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.[0];
    expect(await describe()).toMatchObject({ State: 'pending', Progress: '0%' });
    // Until it is completed the read APIs do not see it (coldsnap #141).
    const early = await rejectionOf(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId })));
    expect(early).toMatchObject({ name: 'ResourceNotFoundException', Reason: 'SNAPSHOT_NOT_FOUND' });
    clock.advance(15_000);
    expect((await describe())?.State).toBe('pending');
    clock.advance(15_000);
    expect(await describe()).toMatchObject({ State: 'completed', Progress: '100%' });
    expect((await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }))).Blocks).toHaveLength(1);
  });
});

describe('ListSnapshotBlocks / GetSnapshotBlock (API_ListSnapshotBlocks, API_GetSnapshotBlock)', () => {
  it('round-trips the written blocks with checksum headers, listing only written blocks', async () => {
    const { ebs } = await endpointForTest();
    const blocks = new Map([[0, patternBlock(10)], [700, patternBlock(11)], [2047, patternBlock(12)]]);
    const snapshotId = await uploadSnapshot(ebs, blocks);
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
    expect(listed.Blocks?.map((b) => b.BlockIndex)).toEqual([0, 700, 2047]);
    expect(listed).toMatchObject({ VolumeSize: 1, BlockSize: BLOCK_BYTES });
    expect(listed.ExpiryTime).toBeInstanceOf(Date);
    for (const block of listed.Blocks ?? []) {
      const got = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: block.BlockIndex, BlockToken: block.BlockToken }));
      const bytes = Buffer.from(await (got.BlockData as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      expect(bytes.equals(blocks.get(block.BlockIndex as number) as Buffer)).toBe(true);
      expect(got).toMatchObject({ DataLength: BLOCK_BYTES, Checksum: sha256(bytes).toString('base64'), ChecksumAlgorithm: 'SHA256' });
    }
  });

  it('pages with MaxResults ≥ 100, ascending, NextToken winning over StartingBlockIndex', async () => {
    const { ebs } = await endpointForTest();
    const blocks = new Map(Array.from({ length: 250 }, (_, i) => [i * 3, patternBlock(i)] as [number, Buffer]));
    const snapshotId = await uploadSnapshot(ebs, blocks);
    const seen: number[] = [];
    let token: string | undefined;
    const pageSizes: number[] = [];
    do {
      const page: ListSnapshotBlocksCommandOutput = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 100, NextToken: token, StartingBlockIndex: 600 }));
      pageSizes.push(page.Blocks?.length ?? 0);
      seen.push(...(page.Blocks ?? []).map((b) => b.BlockIndex as number));
      token = page.NextToken;
    } while (token);
    // The first page starts at 600 (block 200 of the pattern); later pages follow the token instead.
    expect(pageSizes).toEqual([50]);
    expect(seen[0]).toBe(600);
    const all: number[] = [];
    token = undefined;
    do {
      const page: ListSnapshotBlocksCommandOutput = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 100, NextToken: token }));
      all.push(...(page.Blocks ?? []).map((b) => b.BlockIndex as number));
      token = page.NextToken;
    } while (token);
    expect(all).toEqual([...blocks.keys()]);
    const tooSmall = await rejectionOf(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 99 })));
    expect(tooSmall).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_PARAMETER_VALUE' });
    const badToken = await rejectionOf(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, NextToken: 'AAAA' })));
    expect(badToken).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_PAGE_TOKEN' });
  });

  it('refuses a block token that was not issued for this block (INVALID_BLOCK_TOKEN)', async () => {
    const { ebs } = await endpointForTest();
    const snapshotId = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)], [1, patternBlock(1)]]));
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
    const tokenOfBlock0 = listed.Blocks?.[0]?.BlockToken;
    const error = await rejectionOf(ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: 1, BlockToken: tokenOfBlock0 })));
    expect(error).toMatchObject({ name: 'ValidationException', Reason: 'INVALID_BLOCK_TOKEN' });
  });
});

describe('incremental snapshots (writesnapshots: ParentSnapshotId; API_ListChangedBlocks)', () => {
  it('inherits the parent blocks and lists only the changed ones between the two', async () => {
    const { ebs } = await endpointForTest();
    const parent = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)], [1, patternBlock(1)], [2, patternBlock(2)]]));
    const child = await uploadSnapshot(ebs, new Map([[1, patternBlock(101)], [5, patternBlock(105)]]), { VolumeSize: 2, ParentSnapshotId: parent });
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: child }));
    expect(listed.Blocks?.map((b) => b.BlockIndex)).toEqual([0, 1, 2, 5]);
    const read = async (index: number) => {
      const token = listed.Blocks?.find((b) => b.BlockIndex === index)?.BlockToken;
      const out = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: child, BlockIndex: index, BlockToken: token }));
      return Buffer.from(await (out.BlockData as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    };
    expect((await read(0)).equals(patternBlock(0))).toBe(true);
    expect((await read(1)).equals(patternBlock(101))).toBe(true);

    const changed = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: parent, SecondSnapshotId: child }));
    expect(changed.ChangedBlocks?.map((b) => b.BlockIndex)).toEqual([1, 5]);
    expect(changed.ChangedBlocks?.[0]?.FirstBlockToken).toBeTruthy();
    expect(changed.ChangedBlocks?.[1]?.FirstBlockToken).toBeUndefined(); // block 5 does not exist in the parent
    const firstToken = changed.ChangedBlocks?.[0]?.FirstBlockToken;
    const old = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: parent, BlockIndex: 1, BlockToken: firstToken }));
    expect(Buffer.from(await (old.BlockData as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(patternBlock(1))).toBe(true);

    const stranger = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)]]));
    const error = await rejectionOf(ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: stranger, SecondSnapshotId: child })));
    expect(error).toMatchObject({ name: 'ValidationException', Reason: 'UNRELATED_SNAPSHOTS' });
  });

  it('makes the child of an encrypted parent encrypted with the parent key (ebsapis-using-encryption)', async () => {
    const { ebs, ec2 } = await endpointForTest();
    const parent = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)]]), { Encrypted: true });
    const child = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, ParentSnapshotId: parent }));
    const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [parent, child.SnapshotId as string] }));
    expect(described.Snapshots?.map((s) => s.Encrypted)).toEqual([true, true]);
    expect(child.KmsKeyArn).toBe(described.Snapshots?.[0]?.KmsKeyId);
  });

  it('encrypts every new snapshot on an encryption-by-default account (ebsapis-using-encryption)', async () => {
    const { ebs, ec2 } = await endpointForTest({ encryptionByDefault: true });
    const started = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    expect(started.KmsKeyArn).toMatch(/^arn:aws:kms:/);
    const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [started.SnapshotId as string] }));
    expect(described.Snapshots?.[0]?.Encrypted).toBe(true);
  });
});

describe('unwritten blocks (coldsnap #395; ebsapis-using-encryption)', () => {
  it('read back as zeros on an unencrypted snapshot and as random bytes on an encrypted one', async () => {
    const { ebs, aws } = await endpointForTest();
    const plain = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)]]));
    const encrypted = await uploadSnapshot(ebs, new Map([[0, patternBlock(0)]]), { Encrypted: true });
    expect((await aws.readVolumeBlock(plain, 1)).equals(Buffer.alloc(BLOCK_BYTES))).toBe(true);
    const noise = await aws.readVolumeBlock(encrypted, 1);
    expect(noise.equals(Buffer.alloc(BLOCK_BYTES))).toBe(false);
    expect(new Set(noise.subarray(0, 4096)).size).toBeGreaterThan(200);
    // Written blocks read back as written either way.
    expect((await aws.readVolumeBlock(encrypted, 0)).equals(patternBlock(0))).toBe(true);
    // And ListSnapshotBlocks never offers the unwritten block.
    expect((await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: encrypted }))).Blocks?.map((b) => b.BlockIndex)).toEqual([0]);
  });
});

describe('storage', () => {
  it('holds a 2 GiB sparse snapshot in a sparse file, not in memory', async () => {
    const { ebs, aws } = await endpointForTest({ storage: 'disk' });
    const blocks = new Map([[0, patternBlock(0)], [4095, patternBlock(4095)]]);
    const snapshotId = await uploadSnapshot(ebs, blocks, { VolumeSize: 2 });
    const file = await stat(join(aws.storageDirectory as string, `${snapshotId}.blocks`));
    expect(file.size).toBe(2 * 1024 ** 3);
    expect(file.blocks * 512).toBeLessThan(16 * 1024 * 1024);
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
    expect(listed.Blocks?.map((b) => b.BlockIndex)).toEqual([0, 4095]);
  });
});

describe('storage discard (the upload benchmark)', () => {
  it('checks every block as it arrives (checksum, signed payload hash, aggregate) and keeps no bytes', async () => {
    const { ebs, aws } = await endpointForTest({ storage: 'discard' });
    const blocks = new Map([[0, patternBlock(0)], [9, patternBlock(9)]]);
    const snapshotId = await uploadSnapshot(ebs, blocks, { VolumeSize: 1 });
    expect((await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }))).Blocks?.map((b) => b.BlockIndex)).toEqual([0, 9]);
    await expect(aws.readVolumeBlock(snapshotId, 0)).rejects.toThrow(/not kept/);
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const wrongChecksum = await rejectionOf(
      ebs.send(
        new PutSnapshotBlockCommand({ SnapshotId, BlockIndex: 0, BlockData: patternBlock(1), DataLength: BLOCK_BYTES, Checksum: sha256(patternBlock(2)).toString('base64'), ChecksumAlgorithm: 'SHA256' }),
      ),
    );
    expect(wrongChecksum.name).toBe('ValidationException');
    const { createAwsClients } = await import('../support/aws-endpoint/aws-clients.js');
    const wrongSecret = createAwsClients(aws, { credentials: { accessKeyId: aws.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    expect((await rejectionOf(putBlock(wrongSecret.ebs, SnapshotId as string, 0, patternBlock(0)))).name).toBe('InvalidSignatureException');
  });
});

describe('SigV4 (IAM user guide: signature version 4 request signing)', () => {
  it('rejects a wrong secret with InvalidSignatureException and an unknown key with UnrecognizedClientException', async () => {
    const { aws } = await endpointForTest();
    const { createAwsClients } = await import('../support/aws-endpoint/aws-clients.js');
    const wrongSecret = createAwsClients(aws, { credentials: { accessKeyId: aws.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    const bad = await rejectionOf(wrongSecret.ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })));
    expect(bad.name).toBe('InvalidSignatureException');
    expect(bad.$metadata?.httpStatusCode).toBe(403);
    const unknown = createAwsClients(aws, { credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: aws.credentials.secretAccessKey } });
    expect((await rejectionOf(unknown.ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })))).name).toBe('UnrecognizedClientException');
    // A wrong secret on a block upload is caught too: the signed payload hash covers the body.
    const { ebs } = createAwsClients(aws);
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    expect((await rejectionOf(putBlock(wrongSecret.ebs, SnapshotId as string, 0, patternBlock(0)))).name).toBe('InvalidSignatureException');
  });
});
