// `amikit register` (and publish's last step): an --if-exists policy by name, RegisterImage, a bounded
// wait until available, then --copy-to regions; on failure every image this run made is deregistered.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { copyAmi, deregisterAmi, discardAmi, findAmiByName, waitForAmiAvailable } from '../aws/ec2/ami-state.js';
import { finishImage, registerAmi, type AmiSettings } from '../aws/ec2/register-ami.js';
import type { RetryOptions } from '../aws/retry.js';
import { AmikitError } from '../shared/errors.js';
import type { ProgressListener } from './progress-event.js';

export type IfExistsPolicy = 'fail' | 'reuse';

export interface RegisterSnapshotOptions {
  ec2: EC2Client;
  /** The region `ec2` signs for (CopyImage's SourceRegion). */
  region: string;
  /** A client for another region, for --copy-to. */
  ec2For: (region: string) => EC2Client;
  snapshotId: string;
  settings: AmiSettings;
  /** What to do when an image of the same name already exists (default fail: never a silent duplicate). */
  ifExists?: IfExistsPolicy;
  copyTo?: readonly string[];
  /** Bounded wait for `available` (default 30 min) and its first poll interval. */
  wait?: { timeoutMs?: number; intervalMs?: number };
  retry?: Omit<RetryOptions, 'data' | 'signal'>;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
}

export interface RegisteredCopy {
  region: string;
  imageId: string;
}

export interface RegisterSnapshotResult {
  imageId: string;
  name: string;
  region: string;
  snapshotId: string;
  /** True when --if-exists reuse found an image of that name and nothing was registered. */
  reused: boolean;
  state: string;
  copies: RegisteredCopy[];
  seconds: number;
}

/**
 * The existing image of that name, when the policy allows reusing it; throws when it forbids it.
 * Called before anything is created (publish checks before building).
 */
export async function checkExistingImage(ec2: EC2Client, name: string, policy: IfExistsPolicy, retry: RetryOptions = {}): Promise<string | undefined> {
  const existing = await findAmiByName(ec2, name, retry);
  if (!existing?.ImageId) return undefined;
  if (policy === 'reuse') return existing.ImageId;
  throw new AmikitError('AWS', `an image named '${name}' already exists (${existing.ImageId}); pick another --name, or --if-exists reuse to use it`, {
    data: { imageId: existing.ImageId, name },
  });
}

/**
 * Registers `snapshotId` as an AMI and waits for it (and its copies). The snapshot itself is never
 * touched here: whoever made it decides its fate.
 * @example const { imageId } = await registerSnapshot({ ec2, region, ec2For, snapshotId, settings });
 */
export async function registerSnapshot(options: RegisterSnapshotOptions): Promise<RegisterSnapshotResult> {
  const startedMs = performance.now();
  const { ec2, settings, snapshotId } = options;
  const retry = { ...options.retry, ...(options.signal ? { signal: options.signal } : {}) };
  const result = (imageId: string, reused: boolean, state: string, copies: RegisteredCopy[]): RegisterSnapshotResult => ({
    imageId,
    name: settings.name,
    region: options.region,
    snapshotId,
    reused,
    state,
    copies,
    seconds: (performance.now() - startedMs) / 1000,
  });
  const existing = await checkExistingImage(ec2, settings.name, options.ifExists ?? 'fail', retry);
  if (existing) return result(existing, true, 'available', []);

  const made: { ec2: EC2Client; imageId: string; region: string }[] = [];
  try {
    const imageId = await registerAmi(ec2, snapshotId, settings, { retry }).catch((error: unknown) => {
      const partial = error instanceof AmikitError ? (error.data['imageId'] as string | undefined) : undefined;
      if (partial) made.push({ ec2, imageId: partial, region: options.region });
      throw error;
    });
    made.push({ ec2, imageId, region: options.region });
    const outcome = await waitForImage(ec2, imageId, options, 'wait for image');
    const copies: RegisteredCopy[] = [];
    for (const region of options.copyTo ?? []) {
      const destination = options.ec2For(region);
      options.onProgress?.({ phase: `copy image to ${region}`, doneBytes: 0, totalBytes: 0, detail: imageId });
      const copyId = await copyAmi(destination, { sourceImageId: imageId, sourceRegion: options.region, name: settings.name, ...(settings.description !== undefined ? { description: settings.description } : {}) }, retry);
      made.push({ ec2: destination, imageId: copyId, region });
      await waitForImage(destination, copyId, options, `wait for copy in ${region}`);
      // Launch permissions are not copied with the image; tags are (CopyImageTags).
      await finishImage(destination, copyId, undefined, { ...(settings.launchPermissions ? { launchPermissions: settings.launchPermissions } : {}) }, { retry });
      copies.push({ region, imageId: copyId });
    }
    return result(imageId, false, outcome.state, copies);
  } catch (error) {
    // Newest first: copies, then the image itself; each copy's snapshots go with it.
    for (const image of made.reverse()) await undoImage(image.ec2, image.imageId, image !== made[made.length - 1], options);
    throw error;
  }
}

async function waitForImage(ec2: EC2Client, imageId: string, options: RegisterSnapshotOptions, phase: string) {
  const startedMs = performance.now();
  return waitForAmiAvailable(ec2, imageId, {
    ...options.wait,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    onPoll: (poll) => options.onProgress?.({ phase, doneBytes: 0, totalBytes: 0, detail: `${imageId} ${poll.state}, ${Math.round((performance.now() - startedMs) / 1000)} s` }),
  });
}

/** Deregisters an image this run made (a copy also loses its snapshots); warns when it cannot. */
async function undoImage(ec2: EC2Client, imageId: string, isCopy: boolean, options: RegisterSnapshotOptions): Promise<void> {
  // Cleanup runs after an abort too, so it must not carry the aborted signal.
  const retry = { ...options.retry, maxAttempts: 5 };
  if (isCopy) {
    const removed = await deregisterAmi(ec2, imageId, { deleteSnapshots: true, retry }).then(
      () => true,
      () => false,
    );
    if (removed) return;
  }
  const outcome = await discardAmi(ec2, imageId, retry);
  if (!outcome.deregistered) options.onWarning?.(`image ${imageId} could not be deregistered (${outcome.reason}); deregister it by hand`);
}
