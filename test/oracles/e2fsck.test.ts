// Proves the e2fsck and dumpe2fs oracles can fail: a mke2fs-made image is clean, and the same image
// with one byte of its root inode flipped is not, in both check and preen modes.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpe2fsHeader, e2fsck, inodeOffsetBytes, makeExt4FromDir } from '../support/e2fsprogs.js';
import { patternBytes, tempDir, toolSkipReason } from '../support/tools.js';

const ROOT_INODE = 2;
// i_size_lo of the root directory: wrong size and a wrong inode checksum, both must be reported.
const FLIPPED_FIELD_OFFSET_BYTES = 0x04;

async function makeImage(): Promise<string> {
  const { path } = await tempDir('e2fsck-oracle');
  const source = join(path, 'source');
  await mkdir(join(source, 'dir'), { recursive: true });
  await writeFile(join(source, 'dir', 'file'), patternBytes('e2fsck-oracle', 100_000));
  await writeFile(join(source, 'small'), 'small\n');
  const image = join(path, 'image.ext4');
  await makeExt4FromDir(source, image, '16M');
  return image;
}

async function flipByte(image: string, offsetBytes: number): Promise<void> {
  const handle = await open(image, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offsetBytes);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, offsetBytes);
  } finally {
    await handle.close();
  }
}

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

describe.skipIf(toolSkipReason('mke2fs', 'e2fsck', 'dumpe2fs'))('e2fsck oracle', () => {
  it('finds a mke2fs -d image clean in check and preen modes', async () => {
    const image = await makeImage();
    const check = await e2fsck(image, 'check');
    expect(check.output).toMatch(/Pass 5: Checking group summary information/);
    expect(check).toMatchObject({ exitCode: 0, clean: true });
    expect(await e2fsck(image, 'preen')).toMatchObject({ exitCode: 0, clean: true });
  });

  it('finds the image dirty after one byte of its inode table is flipped', async () => {
    const image = await makeImage();
    const offset = (await inodeOffsetBytes(image, ROOT_INODE)) + FLIPPED_FIELD_OFFSET_BYTES;
    await flipByte(image, offset);
    const check = await e2fsck(image, 'check');
    expect(check.clean).toBe(false);
    expect(check.exitCode).toBe(4); // errors left uncorrected (-n)
    expect(check.output).toMatch(/inode 2|Inode 2|root inode/i);

    const before = await sha256(image);
    const preen = await e2fsck(image, 'preen');
    expect(preen.clean).toBe(false);
    expect(preen.exitCode).not.toBe(0);
    expect(await sha256(image)).toBe(before); // preen worked on a copy
  });

  it('parses the dumpe2fs header, features included', async () => {
    const image = await makeImage();
    const header = await dumpe2fsHeader(image);
    expect(header.features).toEqual(expect.arrayContaining(['has_journal', 'extent', 'metadata_csum', '64bit', 'flex_bg']));
    expect(header.fields['Filesystem UUID']).toBe('7e57da7a-0000-4000-8000-000000000001');
    expect(header.fields['Filesystem state']).toBe('clean');
    expect(Number(header.fields['Inode size'])).toBe(256);
  });
});
