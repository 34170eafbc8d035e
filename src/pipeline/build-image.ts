// `amikit build`: layers → merged tree → ext4 image, written under a temporary name and renamed when
// complete. Each stage is one call below, in pipeline order.
import { planExt4 } from '../ext4/plan-ext4.js';
import { writePlannedExt4 } from '../ext4/write-ext4.js';
import type { Ext4Result } from '../ext4/ext4-options.js';
import type { FileTree } from '../tree/file-tree.js';
import { loadTree, type LoadTreeOptions } from './load-tree.js';
import { writeImageOutput, type ImageOutputOptions } from '../sinks/image-output.js';
import type { PumpBlocksResult } from '../blocks/block-sink.js';
import { findBootFiles, type DiskArchitecture } from '../disk/esp/boot-files.js';
import { agreeRootFstab } from '../disk/root-fstab.js';
import { DISK_MAP_BLOCK_BYTES, planUefiDisk, rootSizeForDisk, shiftWrittenMap, uefiDiskGuids, writeUefiDiskFrame, type DiskPartition } from '../disk/uefi-disk.js';

export interface BuildImageOptions extends LoadTreeOptions {
  outputPath: string;
  /** Filesystem size; default: the content plus sensible free space. */
  sizeBytes?: number;
  label?: string;
  /** Seed for UUID and directory hash seed: with the same inputs and SOURCE_DATE_EPOCH, identical bytes. */
  seed?: string;
  /** Drop metadata_csum and 64bit for guests with e2fsprogs < 1.43. */
  ext4Compat?: boolean;
  /**
   * Edits the merged tree before it is written (the customisation stage: sysprep stripping, then
   * injection). Its result is returned as `customization`.
   */
  customize?: (tree: FileTree) => Promise<unknown>;
  /** Filesystem creation time when SOURCE_DATE_EPOCH is unset (injectable for tests). */
  nowSec?: () => number;
  /** Write the block manifest (per written 512 KiB block: index, SHA-256, xxh64; the LINEAR aggregate) here. */
  manifestPath?: string;
  /** zstd level when outputPath ends in .zst (a seekable zstd image). */
  zstdLevel?: number;
  /** More block sinks for the finished image (publish: the EBS snapshot), see writeImageOutput. */
  extraSinks?: ImageOutputOptions['extraSinks'];
  /** false: outputPath is scratch, removed after streaming (publish without -o). */
  keepImage?: boolean;
  /** Stops the block stream (Ctrl-C). */
  signal?: AbortSignal;
  /** 'fs' (default): a bare ext4 filesystem; 'uefi': a GPT disk with an EFI system partition and the root partition. */
  layout?: 'fs' | 'uefi';
  /** uefi: the architecture for the root partition type and the boot loader (default x86-64). */
  architecture?: DiskArchitecture;
  /** uefi: added to the boot entry's kernel command line, after root=, rw and the consoles. */
  kernelArgs?: string[];
}

/** Consoles that show on the EC2 serial console (ttyS0 on x86 Nitro) and on a local screen. */
const CONSOLE_ARGS = ['console=tty0', 'console=ttyS0,115200n8'];

export interface UefiBuildReport {
  diskGuid: string;
  sizeBytes: number;
  partitions: DiskPartition[];
  bootEntry: { kernel: string; initrd: string | undefined; loader: string; options: string };
  /** The /etc/fstab root device amikit replaced with PARTUUID=…, when it did. */
  fstabRootRewrittenFrom?: string;
}

export interface BuildImageResult {
  output: string;
  layout: 'fs' | 'uefi';
  /** uefi: the disk's partitions (role, partUuid, offsets) and boot entry. */
  disk?: UefiBuildReport;
  warnings: string[];
  createdParents: string[];
  customization?: unknown;
  filesystem: Omit<Ext4Result, 'writtenMap'> & { writtenBlocks: number };
  /** The block pipeline's summary, when it ran (.zst output or a manifest). */
  blocks?: PumpBlocksResult;
}

export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const loaded = await loadTree(options);
  try {
    const customization = options.customize ? await options.customize(loaded.tree) : undefined;
    const timestampSec = options.sourceDateEpochSec ?? (options.nowSec ?? (() => Math.floor(Date.now() / 1000)))();
    const ext4Options = {
      timestampSec,
      ...(options.sizeBytes !== undefined ? { sizeBytes: options.sizeBytes } : {}),
      ...(options.label !== undefined ? { label: options.label } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.ext4Compat ? { compat: true } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    const outputOptions = {
      ...(options.manifestPath !== undefined ? { manifestPath: options.manifestPath } : {}),
      ...(options.zstdLevel !== undefined ? { zstdLevel: options.zstdLevel } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.extraSinks ? { extraSinks: options.extraSinks } : {}),
      ...(options.keepImage !== undefined ? { keepImage: options.keepImage } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    let result: Ext4Result;
    let blocks: PumpBlocksResult | undefined;
    let disk: UefiBuildReport | undefined;
    if (options.layout === 'uefi') {
      // Everything that can refuse the input (boot files, sizes) runs before any output file exists.
      const architecture = options.architecture ?? 'x86-64';
      const boot = await findBootFiles(loaded.tree, architecture);
      const guids = uefiDiskGuids(options.seed);
      const fstab = await agreeRootFstab(loaded.tree, { label: options.label, rootPartUuid: guids.rootPartUuid });
      const rootSizeBytes = options.sizeBytes !== undefined ? rootSizeForDisk(options.sizeBytes) : undefined;
      const fsOptions = {
        ...ext4Options,
        ...(rootSizeBytes !== undefined ? { sizeBytes: rootSizeBytes } : {}),
        ...(fstab.label !== undefined ? { label: fstab.label } : {}),
      };
      const plan = planExt4(loaded.tree, fsOptions);
      const layout = planUefiDisk({ rootSizeBytes: plan.sizeBytes, ...(options.sizeBytes !== undefined ? { diskSizeBytes: options.sizeBytes } : {}), architecture, guids });
      const kernelOptions = [`root=PARTUUID=${layout.root.partUuid}`, 'rw', ...CONSOLE_ARGS, ...(options.kernelArgs ?? [])].join(' ');
      const written = await writeImageOutput(
        options.outputPath,
        layout.sizeBytes,
        async (output, directHandle) => {
          const frame = await writeUefiDiskFrame(output.handle, layout, boot.espFiles(kernelOptions), timestampSec);
          const fs = await writePlannedExt4(plan, { handle: output.handle, offsetBytes: layout.root.offsetBytes, ...(directHandle ? { directHandle } : {}) }, fsOptions);
          const writtenMap = [...frame, ...shiftWrittenMap(fs.writtenMap, fs.blockSizeBytes, layout.root.offsetBytes)].sort((a, b) => a.startBlock - b.startBlock);
          return { fs, writtenMap, blockSizeBytes: DISK_MAP_BLOCK_BYTES };
        },
        outputOptions,
      );
      result = written.written.fs;
      blocks = written.blocks;
      disk = {
        diskGuid: layout.diskGuid,
        sizeBytes: layout.sizeBytes,
        partitions: [layout.esp, layout.root],
        bootEntry: { kernel: boot.kernelPath, initrd: boot.initrdPath, loader: boot.loaderPath, options: kernelOptions },
        ...(fstab.rewrittenFrom !== undefined ? { fstabRootRewrittenFrom: fstab.rewrittenFrom } : {}),
      };
    } else {
      // Sizing first: a tree that does not fit fails before any output file exists.
      const plan = planExt4(loaded.tree, ext4Options);
      const written = await writeImageOutput(
        options.outputPath,
        plan.sizeBytes,
        (output, directHandle) => writePlannedExt4(plan, { handle: output.handle, offsetBytes: 0, ...(directHandle ? { directHandle } : {}) }, ext4Options),
        outputOptions,
      );
      result = written.written;
      blocks = written.blocks;
    }
    const { writtenMap, ...filesystem } = result;
    const writtenBlocks = writtenMap.reduce((sum, range) => sum + range.blockCount, 0);
    return {
      output: options.outputPath,
      layout: options.layout ?? 'fs',
      ...(disk ? { disk } : {}),
      warnings: loaded.warnings,
      createdParents: loaded.createdParents,
      ...(customization !== undefined ? { customization } : {}),
      filesystem: { ...filesystem, writtenBlocks },
      ...(blocks ? { blocks } : {}),
    };
  } finally {
    await loaded.close();
  }
}
