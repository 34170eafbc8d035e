// AMI lifecycle calls around registration: find our image by name, wait until it is available (bounded,
// with progress), copy it to another region, and deregister it (optionally with its snapshots).
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { ec2Sdk } from '../sdk.js';
import { AmikitError } from '../../shared/errors.js';
import { classifyAwsError, withRetry, type RetryOptions } from '../retry.js';
import { waitUntil, type PollOutcome, type WaitOptions } from '../wait.js';

const { CopyImageCommand, DeregisterImageCommand, DescribeImagesCommand, DeleteSnapshotCommand } = ec2Sdk;

function send<T>(operation: string, call: (options: { abortSignal?: AbortSignal }) => Promise<T>, retry: RetryOptions, data: Record<string, unknown>): Promise<T> {
  return withRetry(operation, (signal) => call(signal ? { abortSignal: signal } : {}), { ...retry, data });
}

/** The caller's own image named `name` in the client's region (not deregistered), if any. */
export async function findAmiByName(ec2: EC2Client, name: string, retry: RetryOptions = {}): Promise<Image | undefined> {
  const answer = await send('DescribeImages', (o) => ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }), o), retry, { name });
  return (answer.Images ?? []).find((image) => image.Name === name && image.State !== 'deregistered');
}

/** DescribeImages of one image id (undefined when it does not exist). */
export async function describeAmi(ec2: EC2Client, imageId: string, retry: RetryOptions = {}): Promise<Image | undefined> {
  try {
    const answer = await send('DescribeImages', (o) => ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), o), retry, { imageId });
    return answer.Images?.find((image) => image.ImageId === imageId);
  } catch (error) {
    if (classifyAwsError((error as { cause?: unknown }).cause ?? error).code === 'InvalidAMIID.NotFound') return undefined;
    throw error;
  }
}

export interface WaitForAmiOptions extends Omit<WaitOptions, 'what'> {
  retry?: RetryOptions;
}

/**
 * Polls DescribeImages until the image is `available`; `failed`, `error` or `deregistered` fail at once.
 * An image missing right after RegisterImage/CopyImage is eventual consistency until the deadline.
 */
export async function waitForAmiAvailable(ec2: EC2Client, imageId: string, options: WaitForAmiOptions = {}): Promise<PollOutcome> {
  const { retry, ...waitOptions } = options;
  return waitUntil(
    async () => {
      const image = await describeAmi(ec2, imageId, { ...retry, ...(options.signal ? { signal: options.signal } : {}) });
      if (!image) return { done: false, state: 'not visible yet' };
      const state = image.State ?? 'unknown';
      const terminal = state === 'failed' || state === 'error' || state === 'deregistered' || state === 'invalid';
      return {
        done: state === 'available',
        state,
        ...(terminal ? { failed: `image ${imageId} is ${state}${image.StateReason?.Message ? `: ${image.StateReason.Message}` : ''}` } : {}),
      };
    },
    { ...waitOptions, what: `image ${imageId} to become available`, data: { imageId } },
  );
}

export interface CopyAmiSettings {
  sourceImageId: string;
  sourceRegion: string;
  name: string;
  description?: string;
}

/** CopyImage, sent with a client of the destination region; returns the new image id there. */
export async function copyAmi(destination: EC2Client, settings: CopyAmiSettings, retry: RetryOptions = {}): Promise<string> {
  const command = new CopyImageCommand({
    SourceImageId: settings.sourceImageId,
    SourceRegion: settings.sourceRegion,
    Name: settings.name,
    ...(settings.description !== undefined ? { Description: settings.description } : {}),
    CopyImageTags: true,
  });
  const answer = await send('CopyImage', (o) => destination.send(command, o), retry, { imageId: settings.sourceImageId });
  if (!answer.ImageId) throw new AmikitError('AWS', 'CopyImage answered without an image id', { data: { imageId: settings.sourceImageId } });
  return answer.ImageId;
}

export interface DeregisterAmiResult {
  imageId: string;
  /** Snapshots the image mapped that were deleted. */
  deletedSnapshotIds: string[];
}

/**
 * DeregisterImage; with `deleteSnapshots`, then DeleteSnapshot for every EBS snapshot it mapped (read
 * before deregistering, since the image's mappings are gone afterwards).
 */
export async function deregisterAmi(ec2: EC2Client, imageId: string, options: { deleteSnapshots?: boolean; retry?: RetryOptions } = {}): Promise<DeregisterAmiResult> {
  const retry = options.retry ?? {};
  const image = await describeAmi(ec2, imageId, retry);
  if (!image) throw new AmikitError('AWS', `image ${imageId} does not exist in this region`, { data: { imageId } });
  const snapshotIds = (image.BlockDeviceMappings ?? []).map((mapping) => mapping.Ebs?.SnapshotId).filter((id): id is string => typeof id === 'string');
  await send('DeregisterImage', (o) => ec2.send(new DeregisterImageCommand({ ImageId: imageId }), o), retry, { imageId });
  const deletedSnapshotIds: string[] = [];
  if (options.deleteSnapshots) {
    for (const snapshotId of snapshotIds) {
      await send('DeleteSnapshot', (o) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), o), retry, { snapshotId });
      deletedSnapshotIds.push(snapshotId);
    }
  }
  return { imageId, deletedSnapshotIds };
}

/** Deregisters an image we just made, for cleanup: never throws; says why when it could not. */
export async function discardAmi(ec2: EC2Client, imageId: string, retry: RetryOptions = {}): Promise<{ deregistered: boolean; reason?: string }> {
  try {
    await send('DeregisterImage', (o) => ec2.send(new DeregisterImageCommand({ ImageId: imageId }), o), { maxAttempts: 5, ...retry }, { imageId });
    return { deregistered: true };
  } catch (error) {
    if (classifyAwsError((error as { cause?: unknown }).cause ?? error).code === 'InvalidAMIID.NotFound') return { deregistered: true };
    return { deregistered: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
