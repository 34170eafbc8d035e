// Encrypted snapshots: unwritten blocks read back as random bytes, so the blocks whose zeros matter must
// be sent. Oracle: e2fsck on the volume an instance would see (endpoint.readVolumeBlock), with a
// negative twin where those zeros are left unsent.
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SnapshotSink } from '../../src/aws/ebs/snapshot-sink.js';
import { BLOCK_HOLE, BLOCK_WRITTEN_MEANINGFUL_ZEROS } from '../../src/blocks/block-plan.js';
import { pumpBlocks } from '../../src/blocks/block-sink.js';
import { RawImageSource } from '../../src/blocks/block-source.js';
import { ZERO_BLOCK } from '../../src/blocks/block.js';
import { writeExt4 } from '../../src/ext4/write-ext4.js';
import type { WrittenRange } from '../../src/ext4/ext4-options.js';
import { loadTree } from '../../src/pipeline/load-tree.js';
import { uploadImage } from '../../src/pipeline/upload-image.js';
import type { AwsEndpoint } from '../support/aws-endpoint/aws-endpoint.js';
import { e2fsck } from '../support/e2fsprogs.js';
import { runOk, toolSkipReason } from '../support/tools.js';
import { BLOCK, endpointAndClients, firstDifferingBlock, makeSparseImage, patternBlock, workDir } from './upload-fixture.js';

const FS_BYTES = 256 * 1024 * 1024;

/** An amikit ext4 image with files, a directory and a file of zeros (its zeros matter too). */
async function buildExt4(dir: string): Promise<{ image: string; writtenMap: WrittenRange[] }> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'hostname'), 'encrypted\n');
  await writeFile(join(root, 'zeros.bin'), Buffer.alloc(3 * 1024 * 1024));
  await writeFile(join(root, 'data.bin'), patternBlock(1, 2 * 1024 * 1024));
  const loaded = await loadTree({ layers: [root] });
  const image = join(dir, 'fs.img');
  const handle = await open(image, 'w+');
  try {
    await handle.truncate(FS_BYTES);
    const result = await writeExt4(loaded.tree, { handle, offsetBytes: 0 }, { sizeBytes: FS_BYTES, timestampSec: 1_700_000_000, seed: 'encrypted' });
    return { image, writtenMap: result.writtenMap };
  } finally {
    await handle.close();
    await loaded.close();
  }
}

/** A file's bytes as e2fsprogs' debugfs reads them out of the image. */
async function debugfsDump(image: string, path: string, out: string): Promise<Buffer> {
  await runOk('debugfs', ['-R', `dump ${path} ${out}`, image]);
  return readFile(out);
}

/** The volume an instance would see, cut to the image's size. */
async function readVolume(aws: AwsEndpoint, snapshotId: string, path: string, sizeBytes: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let index = 0; index * BLOCK < sizeBytes; index++) await handle.write(await aws.readVolumeBlock(snapshotId, index), 0, BLOCK, index * BLOCK);
    await handle.truncate(sizeBytes);
  } finally {
    await handle.close();
  }
}

describe('encrypted upload', () => {
  it.skipIf(toolSkipReason('e2fsck', 'debugfs'))('sends the meaningful zeros: the volume of an encrypted ext4 snapshot stays e2fsck-clean; without them its file of zeros reads back as garbage', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('encrypted-ext4');
    const { image, writtenMap } = await buildExt4(dir);
    expect((await e2fsck(image, 'check')).clean).toBe(true);

    const upload = async (dropMeaningfulZeros: boolean) => {
      const source = await RawImageSource.open(image, { writtenMap, fsBlockSizeBytes: 4096 });
      let dropped = 0;
      try {
        if (dropMeaningfulZeros) {
          // The negative twin: all-zero blocks whose zeros matter are treated as never written.
          const buffer = Buffer.alloc(BLOCK);
          for (let index = 0; index < source.plan.blockCount; index++) {
            if (source.plan.states[index] !== BLOCK_WRITTEN_MEANINGFUL_ZEROS) continue;
            await source.read(index, buffer, BLOCK);
            if (buffer.equals(ZERO_BLOCK)) {
              source.plan.states[index] = BLOCK_HOLE;
              dropped++;
            }
          }
        }
        const sink = await SnapshotSink.start({ ebs: clients.ebs, ec2: clients.ec2, sizeBytes: source.plan.sizeBytes, encrypted: true });
        await pumpBlocks(source, [sink]);
        return { result: sink.result, dropped };
      } finally {
        await source.close();
      }
    };

    const { result } = await upload(false);
    expect(result.encrypted).toBe(true);
    expect(result.kmsKeyArn).toMatch(/^arn:aws:kms:/);
    // Holes outside the written map stay unsent even when encrypted: their content does not matter.
    expect(result.blocksSkipped).toBeGreaterThan(0);
    const volume = join(dir, 'volume.img');
    await readVolume(aws, result.snapshotId, volume, FS_BYTES);
    const check = await e2fsck(volume, 'check');
    expect(check.output).toMatch(/Pass 5/);
    expect(check.clean).toBe(true);
    expect((await debugfsDump(volume, '/zeros.bin', join(dir, 'zeros.out'))).equals(Buffer.alloc(3 * 1024 * 1024))).toBe(true);
    expect((await debugfsDump(volume, '/data.bin', join(dir, 'data.out'))).equals(patternBlock(1, 2 * 1024 * 1024))).toBe(true);
    // Unwritten blocks really are random on this volume: the oracle does not compare zeros with zeros.
    const skippedIndex = [...Array(FS_BYTES / BLOCK).keys()].reverse().find((index) => !writtenMap.some((range) => range.startBlock * 4096 < (index + 1) * BLOCK && (range.startBlock + range.blockCount) * 4096 > index * BLOCK));
    expect(skippedIndex).toBeDefined();
    expect((await aws.readVolumeBlock(result.snapshotId, skippedIndex!)).equals(ZERO_BLOCK)).toBe(false);

    // Negative twin: without the meaningful zeros, the file of zeros reads back as garbage.
    const negative = await upload(true);
    expect(negative.dropped).toBeGreaterThan(0);
    const broken = join(dir, 'broken.img');
    await readVolume(aws, negative.result.snapshotId, broken, FS_BYTES);
    expect((await debugfsDump(broken, '/zeros.bin', join(dir, 'zeros-broken.out'))).equals(Buffer.alloc(3 * 1024 * 1024))).toBe(false);
  });

  it('an encrypted upload of a foreign raw image sends every block, holes included, and reads back identical', async () => {
    const { aws, clients } = await endpointAndClients({ storage: 'memory' });
    const dir = await workDir('encrypted-raw');
    const image = join(dir, 'foreign.img');
    await makeSparseImage(image, 32 * BLOCK, [0, 9], 20);
    const result = await uploadImage({ imagePath: image, clients, encrypted: true });
    expect(result).toMatchObject({ encrypted: true, blockCount: 32, blocksSent: 32, blocksSkipped: 0 });
    const volume = join(dir, 'volume.img');
    await readVolume(aws, result.snapshotId, volume, 32 * BLOCK);
    expect(await firstDifferingBlock(image, volume)).toBeUndefined();
    // Unencrypted, the same image sends only its two data blocks (zeros read back as zeros).
    const plain = await uploadImage({ imagePath: image, clients });
    expect(plain).toMatchObject({ encrypted: false, blocksSent: 2, blocksSkipped: 30 });
  });
});
