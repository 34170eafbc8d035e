// RegisterImage from one EBS snapshot with explicit settings (hvm, ENA, SR-IOV, gp3 root that is deleted
// on termination, boot mode, IMDSv2, TPM), then tags on the snapshot and launch permissions (aws-anchors §5.3).
import type { EC2Client, RegisterImageCommandInput } from '@aws-sdk/client-ec2';
import { ec2Sdk } from '../sdk.js';
import { AmikitError } from '../../shared/errors.js';
import type { SnapshotTag } from '../ebs/snapshot-sink.js';
import { withRetry, type RetryOptions } from '../retry.js';

const { CreateTagsCommand, ModifyImageAttributeCommand, RegisterImageCommand } = ec2Sdk;

export type AmiArchitecture = 'x86_64' | 'arm64';
export type AmiBootMode = 'uefi' | 'legacy-bios' | 'uefi-preferred';

/** Everything RegisterImage is told; each field has a default chosen for a modern Linux root volume. */
export interface AmiSettings {
  name: string;
  description?: string;
  architecture: AmiArchitecture;
  bootMode: AmiBootMode;
  /** Root device name (default /dev/xvda, as Amazon Linux and Bottlerocket use). */
  rootDeviceName?: string;
  /** Root volume size in GiB (default: the snapshot's). */
  volumeSizeGiB?: number;
  /** Root volume type (default gp3). */
  volumeType?: 'gp3' | 'gp2' | 'io1' | 'io2';
  /** IMDS: 'v2.0' makes instances require tokens (the default); undefined leaves the account default. */
  imdsSupport?: 'v2.0' | undefined;
  /** 'v2.0' gives instances a NitroTPM (needs uefi or uefi-preferred). */
  tpmSupport?: 'v2.0' | undefined;
  /** Tags on the image and its snapshot. */
  tags?: readonly SnapshotTag[];
  /** 12-digit account ids, or 'all', allowed to launch the image. */
  launchPermissions?: readonly string[];
}

export const DEFAULT_ROOT_DEVICE_NAME = '/dev/xvda';

/** The RegisterImage request for `settings` with `snapshotId` as the root volume. */
export function registerImageRequest(snapshotId: string, settings: AmiSettings): RegisterImageCommandInput {
  const rootDeviceName = settings.rootDeviceName ?? DEFAULT_ROOT_DEVICE_NAME;
  return {
    Name: settings.name,
    ...(settings.description !== undefined ? { Description: settings.description } : {}),
    Architecture: settings.architecture,
    // Every default stated, none left to the API's (which are i386 and paravirtual).
    VirtualizationType: 'hvm',
    RootDeviceName: rootDeviceName,
    BlockDeviceMappings: [
      {
        DeviceName: rootDeviceName,
        Ebs: {
          SnapshotId: snapshotId,
          VolumeType: settings.volumeType ?? 'gp3',
          DeleteOnTermination: true,
          ...(settings.volumeSizeGiB !== undefined ? { VolumeSize: settings.volumeSizeGiB } : {}),
        },
      },
    ],
    EnaSupport: true,
    SriovNetSupport: 'simple',
    BootMode: settings.bootMode,
    ...(settings.imdsSupport ? { ImdsSupport: settings.imdsSupport } : {}),
    ...(settings.tpmSupport ? { TpmSupport: settings.tpmSupport } : {}),
    ...(settings.tags && settings.tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'image', Tags: settings.tags.map((t) => ({ Key: t.key, Value: t.value })) }] } : {}),
  };
}

export interface RegisterAmiOptions {
  retry?: Omit<RetryOptions, 'data'>;
}

/**
 * Registers the image and returns its id as soon as RegisterImage answers; tags the snapshot and grants
 * launch permissions. If the follow-up calls fail the image id is attached to the error (data.imageId)
 * so the caller can deregister it.
 * @example const imageId = await registerAmi(ec2, 'snap-…', { name: 'web-1', architecture: 'x86_64', bootMode: 'uefi' });
 */
export async function registerAmi(ec2: EC2Client, snapshotId: string, settings: AmiSettings, options: RegisterAmiOptions = {}): Promise<string> {
  const request = new RegisterImageCommand(registerImageRequest(snapshotId, settings));
  // RegisterImage has no idempotency token: a retried call after a lost answer may meet
  // InvalidAMIName.Duplicate, which is reported rather than guessed at.
  const answer = await withRetry('RegisterImage', (signal) => ec2.send(request, signal ? { abortSignal: signal } : {}), { ...options.retry, data: { snapshotId } });
  const imageId = answer.ImageId;
  if (!imageId) throw new AmikitError('AWS', 'RegisterImage answered without an image id', { data: { snapshotId } });
  try {
    await finishImage(ec2, imageId, snapshotId, settings, options);
  } catch (error) {
    if (error instanceof AmikitError) error.data['imageId'] ??= imageId;
    throw error;
  }
  return imageId;
}

/** Tags on the snapshot (the image got its own in RegisterImage) and launch permissions on the image. */
export async function finishImage(ec2: EC2Client, imageId: string, snapshotId: string | undefined, settings: Pick<AmiSettings, 'tags' | 'launchPermissions'>, options: RegisterAmiOptions = {}): Promise<void> {
  if (snapshotId && settings.tags && settings.tags.length > 0) {
    const tagging = new CreateTagsCommand({ Resources: [snapshotId], Tags: settings.tags.map((t) => ({ Key: t.key, Value: t.value })) });
    await withRetry('CreateTags', (signal) => ec2.send(tagging, signal ? { abortSignal: signal } : {}), { ...options.retry, data: { snapshotId } });
  }
  const permissions = settings.launchPermissions ?? [];
  if (permissions.length > 0) {
    const modify = new ModifyImageAttributeCommand({
      ImageId: imageId,
      LaunchPermission: { Add: permissions.map((who) => (who === 'all' ? { Group: 'all' as const } : { UserId: who })) },
    });
    await withRetry('ModifyImageAttribute', (signal) => ec2.send(modify, signal ? { abortSignal: signal } : {}), { ...options.retry, data: { imageId } });
  }
}
