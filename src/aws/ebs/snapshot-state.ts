// Snapshot lifecycle calls on the EC2 side that both the upload and the AMI commands need: wait until
// DescribeSnapshots says completed (bounded, with progress), and delete a snapshot we created.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ec2Sdk } from '../sdk.js';
import { classifyAwsError, withRetry, type RetryOptions } from '../retry.js';
import { waitUntil, type PollOutcome, type WaitOptions } from '../wait.js';

const { DeleteSnapshotCommand, DescribeSnapshotsCommand } = ec2Sdk;

export interface WaitForSnapshotOptions extends Omit<WaitOptions, 'what'> {
  retry?: RetryOptions;
}

/**
 * Polls DescribeSnapshots until the snapshot is `completed`; `error` fails at once. A snapshot missing
 * from the answer right after CompleteSnapshot is eventual consistency, not absence, until the deadline.
 */
export async function waitForSnapshotCompleted(ec2: EC2Client, snapshotId: string, options: WaitForSnapshotOptions = {}): Promise<PollOutcome> {
  const deadlineMs = (options.now ?? Date.now)() + (options.timeoutMs ?? 30 * 60_000);
  const { retry, ...waitOptions } = options;
  return waitUntil(
    async () => {
      const answer = await withRetry('DescribeSnapshots', (signal) => ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }), signal ? { abortSignal: signal } : {}), {
        ...retry,
        notFoundRetryableUntilMs: deadlineMs,
        data: { snapshotId },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const snapshot = answer.Snapshots?.find((s) => s.SnapshotId === snapshotId);
      if (!snapshot) return { done: false, state: 'not visible yet' };
      const progressPercent = snapshot.Progress ? Number.parseFloat(snapshot.Progress) : undefined;
      const state = snapshot.State ?? 'unknown';
      return {
        done: state === 'completed',
        state,
        ...(state === 'error' ? { failed: `snapshot ${snapshotId} is in state error${snapshot.StateMessage ? `: ${snapshot.StateMessage}` : ''}` } : {}),
        ...(progressPercent !== undefined && Number.isFinite(progressPercent) ? { progressPercent } : {}),
      };
    },
    { ...waitOptions, what: `snapshot ${snapshotId} to complete`, data: { snapshotId } },
  );
}

export interface DeleteSnapshotResult {
  deleted: boolean;
  /** Why it could not be deleted, when it could not. */
  reason?: string;
}

/**
 * Deletes a snapshot, retrying transient failures; never throws (cleanup must not hide the failure
 * that caused it). Already gone counts as deleted.
 */
export async function deleteSnapshot(ec2: EC2Client, snapshotId: string, retry: RetryOptions = {}): Promise<DeleteSnapshotResult> {
  try {
    await withRetry('DeleteSnapshot', (signal) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), signal ? { abortSignal: signal } : {}), {
      maxAttempts: 5,
      ...retry,
      data: { snapshotId },
    });
    return { deleted: true };
  } catch (error) {
    const failure = classifyAwsError((error as { cause?: unknown }).cause ?? error);
    if (failure.code === 'InvalidSnapshot.NotFound') return { deleted: true };
    return { deleted: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
