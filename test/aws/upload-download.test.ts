// upload → download round trips with the real SDK against the local endpoint, which checks every
// PutSnapshotBlock checksum and the CompleteSnapshot LINEAR aggregate (research/aws-anchors.md T1–T4).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { pumpBlocks } from '../../src/blocks/block-sink.js';
import { RawImageSource } from '../../src/blocks/block-source.js';
import { SeekableZstdSink } from '../../src/sinks/seekable-zstd-sink.js';
import { downloadSnapshot } from '../../src/pipeline/download-snapshot.js';
import { uploadImage } from '../../src/pipeline/upload-image.js';
import { BLOCK, GiB, firstDifferingBlock, endpointAndClients, makeSparseImage, workDir } from './upload-fixture.js';

describe('upload → download round trip', () => {
  it('a sparse raw image: only data blocks are sent, and the download is byte-identical and sparse', async () => {
    const { aws, clients } = await endpointAndClients();
    const dir = await workDir('roundtrip-raw');
    const image = join(dir, 'root.img');
    const sizeBytes = GiB + 3 * BLOCK + 4096; // a short last block and a second GiB of volume
    const dataBlocks = [0, 1, 2, 700, 1500, 2047, 2048, 2050, 2051];
    await makeSparseImage(image, sizeBytes, dataBlocks, 900);
    const result = await uploadImage({ imagePath: image, clients, description: 'round trip', tags: [{ key: 'purpose', value: 'test' }] });
    expect(result).toMatchObject({ format: 'raw', volumeSizeGiB: 2, blocksSent: dataBlocks.length, encrypted: false, state: 'completed' });
    expect(result.blockCount).toBe(2052); // ceil(size / 512 KiB), the last one 4 KiB long
    expect(result.blocksSkipped).toBe(2052 - dataBlocks.length);
    expect(result.snapshotId).toMatch(/^snap-/);
    const put = aws.requestLog.filter((entry) => entry.operation === 'PutSnapshotBlock');
    expect(put).toHaveLength(dataBlocks.length);
    expect(put.every((entry) => entry.status === 201)).toBe(true);
    expect(aws.requestLog.find((entry) => entry.operation === 'CompleteSnapshot')?.status).toBe(202);

    const described = await clients.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [result.snapshotId] }));
    expect(described.Snapshots?.[0]).toMatchObject({ State: 'completed', VolumeSize: 2, Description: 'round trip', Tags: [{ Key: 'purpose', Value: 'test' }] });

    const out = join(dir, 'back.img');
    const download = await downloadSnapshot({ snapshotId: result.snapshotId, outputPath: out, clients });
    expect(download).toMatchObject({ blocksRead: dataBlocks.length, zeroBlocks: 0, sizeBytes: 2 * GiB });
    expect(await firstDifferingBlock(image, out)).toBeUndefined();
    expect((await stat(out)).size).toBe(2 * GiB);
    // Sparse: only the data blocks take space.
    expect((await stat(out)).blocks * 512).toBeLessThanOrEqual((dataBlocks.length + 1) * BLOCK);
  });

  it('a seekable .img.zst: same snapshot content as its raw image', async () => {
    const { clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('roundtrip-zst');
    const raw = join(dir, 'root.img');
    const sizeBytes = GiB;
    const dataBlocks = [0, 5, 6, 7, 1000, 2047];
    await makeSparseImage(raw, sizeBytes, dataBlocks);
    const zst = join(dir, 'root.img.zst');
    const source = await RawImageSource.open(raw);
    try {
      await pumpBlocks(source, [await SeekableZstdSink.create(zst)], { sha256: false });
    } finally {
      await source.close();
    }
    const result = await uploadImage({ imagePath: zst, clients });
    // The comparison itself must see a one-byte change.
    await makeSparseImage(join(dir, 'other.img'), sizeBytes, [0, 5, 6, 7, 1000]);
    expect(await firstDifferingBlock(raw, join(dir, 'other.img'))).toBe(2047);
    expect(result).toMatchObject({ format: 'seekable-zstd', blocksSent: dataBlocks.length, volumeSizeGiB: 1 });
    const out = join(dir, 'back.img');
    await downloadSnapshot({ snapshotId: result.snapshotId, outputPath: out, clients });
    expect(await firstDifferingBlock(raw, out)).toBeUndefined();
  });
});
