// `amikit publish`: build → the block stream straight into a new EBS snapshot → register the AMI. The
// image file is kept only when asked for (-o); any failure before the AMI is available deletes the
// snapshot and deregisters the image, so a failed run leaves nothing behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../aws/aws-clients.js';
import { SnapshotSink, type SnapshotSinkProgress, type SnapshotTag, type SnapshotUploadResult } from '../aws/ebs/snapshot-sink.js';
import { deleteSnapshot } from '../aws/ebs/snapshot-state.js';
import type { AmiArchitecture, AmiSettings } from '../aws/ec2/register-ami.js';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { AmikitError } from '../shared/errors.js';
import type { FileTree } from '../tree/file-tree.js';
import { readContent } from '../tree/read-content.js';
import { buildImage, type BuildImageOptions, type BuildImageResult } from './build-image.js';
import { checkExistingImage, registerSnapshot, type IfExistsPolicy, type RegisterSnapshotResult } from './register-snapshot.js';
import { uploadProgressEvent } from './upload-progress.js';

export interface PublishImageOptions extends Omit<BuildImageOptions, 'outputPath' | 'extraSinks' | 'keepImage' | 'signal'> {
  /** Keep the built image here too (raw or .img.zst); default: a scratch file that is removed. */
  outputPath?: string;
  clients: Pick<AwsClients, 'ebs' | 'ec2'> & Partial<Pick<AwsClients, 'http'>>;
  region: string;
  ec2For: (region: string) => EC2Client;
  /** AMI settings; architecture undefined ⇒ read from the tree's /bin/sh (ELF e_machine). */
  settings: Omit<AmiSettings, 'architecture'> & { architecture?: AmiArchitecture };
  ifExists?: IfExistsPolicy;
  copyTo?: readonly string[];
  snapshotDescription?: string;
  encrypted?: boolean;
  kmsKeyArn?: string;
  concurrency?: number;
  /** Waits for the snapshot and the image (tests shorten the poll interval). */
  wait?: { timeoutMs?: number; intervalMs?: number };
  retry?: { baseDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

export interface PublishImageResult extends RegisterSnapshotResult {
  architecture: AmiArchitecture | undefined;
  build?: BuildImageResult;
  upload?: SnapshotUploadResult;
}

/**
 * One command from layers to AMI id.
 * @example const { imageId } = await publishImage({ layers, clients, region, ec2For, settings: { name: 'web', bootMode: 'uefi' } });
 */
export async function publishImage(options: PublishImageOptions): Promise<PublishImageResult> {
  const startedMs = performance.now();
  const { clients, settings } = options;
  const ifExists = options.ifExists ?? 'fail';
  const retry = { ...options.retry, ...(options.signal ? { signal: options.signal } : {}) };
  // Before building: a name already taken fails (or is reused) in a second, not after the upload.
  const existing = await checkExistingImage(clients.ec2, settings.name, ifExists, retry);
  if (existing) {
    return { imageId: existing, name: settings.name, region: options.region, snapshotId: '', reused: true, state: 'available', copies: [], seconds: 0, architecture: settings.architecture };
  }

  let architecture = settings.architecture;
  let sink: SnapshotSink | undefined;
  const scratchDir = options.outputPath === undefined ? await mkdtemp(join(tmpdir(), 'amikit-publish-')) : undefined;
  const tags: readonly SnapshotTag[] = settings.tags ?? [];
  try {
    const { outputPath: _outputPath, customize, settings: _settings, ...buildOptions } = options;
    const build = await buildImage({
      ...buildOptions,
      outputPath: options.outputPath ?? join(scratchDir!, 'image.img'),
      keepImage: options.outputPath !== undefined,
      ...(options.signal ? { signal: options.signal } : {}),
      customize: async (tree) => {
        const report = customize ? await customize(tree) : undefined;
        architecture ??= await treeArchitecture(tree);
        // Known before any AWS resource exists: a tree without a recognisable /bin/sh needs the flag.
        if (!architecture) throw new AmikitError('USAGE', 'publish: cannot tell the architecture from the tree (/bin/sh is not an x86_64 or arm64 ELF); give --architecture');
        return report;
      },
      extraSinks: async (sizeBytes) => {
        const startedUploadMs = performance.now();
        sink = await SnapshotSink.start({
          ebs: clients.ebs,
          ec2: clients.ec2,
          http: clients.http,
          sizeBytes,
          description: options.snapshotDescription ?? settings.description ?? `amikit publish of ${settings.name}`,
          tags,
          ...(options.encrypted ? { encrypted: true } : {}),
          ...(options.kmsKeyArn !== undefined ? { kmsKeyArn: options.kmsKeyArn } : {}),
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
          ...(options.wait ? { wait: options.wait } : {}),
          ...(options.retry ? { retry: options.retry } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onWarning ? { onWarning: options.onWarning } : {}),
          ...(options.onProgress ? { onProgress: (progress: SnapshotSinkProgress) => options.onProgress!(uploadProgressEvent(progress, (performance.now() - startedUploadMs) / 1000)) } : {}),
        });
        return [sink];
      },
    });
    // pumpBlocks finished the sink (completed snapshot) or discarded it (deleted) on failure.
    const upload = sink!.result;
    try {
      const registered = await registerSnapshot({
        ec2: clients.ec2,
        region: options.region,
        ec2For: options.ec2For,
        snapshotId: upload.snapshotId,
        settings: { ...settings, architecture: architecture! },
        // Checked before building; a name taken meanwhile is a failure, never a silent reuse.
        ifExists: 'fail',
        ...(options.copyTo ? { copyTo: options.copyTo } : {}),
        ...(options.wait ? { wait: options.wait } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      });
      return { ...registered, seconds: (performance.now() - startedMs) / 1000, architecture, build, upload };
    } catch (error) {
      // registerSnapshot deregistered what it made; the snapshot is ours to delete (no longer in use).
      const deleted = await deleteSnapshot(clients.ec2, upload.snapshotId, { ...options.retry, maxAttempts: 5 });
      if (!deleted.deleted) options.onWarning?.(`snapshot ${upload.snapshotId} could not be deleted (${deleted.reason}); delete it by hand`);
      throw error;
    }
  } finally {
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  }
}

const ELF_MACHINES: Record<number, AmiArchitecture> = { 0x3e: 'x86_64', 0xb7: 'arm64' };

/** The architecture of the tree's /bin/sh (its ELF header's e_machine), or undefined. */
export async function treeArchitecture(tree: FileTree): Promise<AmiArchitecture | undefined> {
  for (const path of ['/bin/sh', '/usr/bin/sh', '/bin/busybox', '/usr/bin/env']) {
    let node;
    try {
      node = tree.resolve(path, { followFinal: true }).node;
    } catch {
      continue; // a missing /usr or a symlink loop: not this path
    }
    if (!node || node.kind !== 'file') continue;
    for await (const chunk of readContent(node)) {
      if (chunk.length < 20 || chunk.readUInt32BE(0) !== 0x7f454c46) break;
      const littleEndian = chunk[5] === 1;
      const machine = littleEndian ? chunk.readUInt16LE(18) : chunk.readUInt16BE(18);
      const found = ELF_MACHINES[machine];
      if (found) return found;
      break;
    }
  }
  return undefined;
}
