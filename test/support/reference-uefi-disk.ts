// A bootable UEFI disk assembled by independent tools — sgdisk, mkfs.fat + mtools, dd — around a root
// filesystem image, with systemd-boot, kernel and initrd taken from a rootfs tar: the known-good reference
// the boot harness and the boot fixture are checked against, independent of amikit's disk layout.
import { join } from 'node:path';
import { rm, stat, writeFile } from 'node:fs/promises';
import { runOk, toolSkipReason } from './tools.js';

export const REFERENCE_ESP_PARTUUID = '7e57b007-0000-4000-8000-000000000001';
export const REFERENCE_ROOT_PARTUUID = '7e57b007-0000-4000-8000-000000000002';
/** The Discoverable Partitions Specification type of an x86-64 root partition. */
export const ROOT_X86_64_TYPE_GUID = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';

const MIB = 1024 * 1024;
const ESP_SIZE_BYTES = 128 * MIB;

/** Why the reference disk cannot be made here, else undefined. */
export function referenceDiskSkipReason(): string | undefined {
  return toolSkipReason('sgdisk', 'mkfs.fat', 'mmd', 'mcopy', 'tar', 'dd');
}

/**
 * Writes `diskPath`: GPT, a 128 MiB FAT32 ESP (systemd-boot as \EFI\BOOT\BOOTX64.EFI, loader.conf, one
 * entry booting `kernelVersion` from the ESP with `root=PARTUUID=… rw`) and `rootFsImage` copied into the
 * root partition (type: x86-64 root). Kernel, initrd and loader come from `rootfsTar`.
 */
export async function makeReferenceUefiDisk(options: {
  rootfsTar: string;
  kernelVersion: string;
  rootFsImage: string;
  diskPath: string;
  workDir: string;
  kernelArgs?: string;
}): Promise<void> {
  const { rootfsTar, kernelVersion, rootFsImage, diskPath, workDir } = options;
  const files = join(workDir, 'esp-files');
  await runOk('mkdir', ['-p', files]);
  const members = [`./boot/vmlinuz-${kernelVersion}`, `./boot/initrd.img-${kernelVersion}`, './usr/lib/systemd/boot/efi/systemd-bootx64.efi'];
  await runOk('tar', ['-xf', rootfsTar, '-C', files, ...members]);

  const rootSizeBytes = (await stat(rootFsImage)).size;
  const espStartBytes = MIB;
  const rootStartBytes = espStartBytes + ESP_SIZE_BYTES;
  // 1 MiB after the root partition holds the backup GPT (33 sectors) with room to spare.
  const diskSizeBytes = rootStartBytes + Math.ceil(rootSizeBytes / MIB) * MIB + MIB;
  await rm(diskPath, { force: true });
  await runOk('truncate', ['-s', String(diskSizeBytes), diskPath]);
  await runOk('sgdisk', [
    '-n', `1:${espStartBytes / 512}:+${ESP_SIZE_BYTES / MIB}M`, '-t', '1:ef00', '-c', '1:esp', '-u', `1:${REFERENCE_ESP_PARTUUID}`,
    '-n', `2:${rootStartBytes / 512}:+${rootSizeBytes / 1024}K`, '-t', `2:${ROOT_X86_64_TYPE_GUID}`, '-c', '2:root', '-u', `2:${REFERENCE_ROOT_PARTUUID}`,
    diskPath,
  ]);

  // 512-byte clusters: 128 MiB then has ~260,000 clusters, safely above FAT32's 65,525 minimum.
  const espImage = join(workDir, 'esp.img');
  await runOk('mkfs.fat', ['-F', '32', '-s', '1', '-n', 'ESP', '-i', '0e5e0e5e', '-C', espImage, String(ESP_SIZE_BYTES / 1024)]);
  const entry = [
    'title Debian (reference disk)',
    `linux /vmlinuz-${kernelVersion}`,
    `initrd /initrd.img-${kernelVersion}`,
    `options root=PARTUUID=${REFERENCE_ROOT_PARTUUID} rw console=tty0 console=ttyS0,115200n8 ${options.kernelArgs ?? ''}`.trim(),
    '',
  ].join('\n');
  await writeFile(join(workDir, 'loader.conf'), 'default debian.conf\ntimeout 0\n');
  await writeFile(join(workDir, 'debian.conf'), entry);
  const m = ['-i', espImage];
  await runOk('mmd', [...m, '::/EFI', '::/EFI/BOOT', '::/loader', '::/loader/entries']);
  await runOk('mcopy', [...m, join(files, 'usr/lib/systemd/boot/efi/systemd-bootx64.efi'), '::/EFI/BOOT/BOOTX64.EFI']);
  await runOk('mcopy', [...m, join(files, `boot/vmlinuz-${kernelVersion}`), `::/vmlinuz-${kernelVersion}`]);
  await runOk('mcopy', [...m, join(files, `boot/initrd.img-${kernelVersion}`), `::/initrd.img-${kernelVersion}`]);
  await runOk('mcopy', [...m, join(workDir, 'loader.conf'), '::/loader/loader.conf']);
  await runOk('mcopy', [...m, join(workDir, 'debian.conf'), '::/loader/entries/debian.conf']);

  const dd = (from: string, offsetBytes: number): Promise<unknown> =>
    runOk('dd', [`if=${from}`, `of=${diskPath}`, 'bs=1M', `seek=${offsetBytes}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none']);
  await dd(espImage, espStartBytes);
  await dd(rootFsImage, rootStartBytes);
}
