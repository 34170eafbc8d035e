// Bounded polling until an AWS resource reaches a state (snapshot completed, image available), with a
// growing interval, a deadline, a terminal failure state and a progress callback on every poll.
import { AmikitError } from '../shared/errors.js';
import { abortableSleep } from './retry.js';

export interface PollOutcome {
  /** The resource reached the wanted state. */
  done: boolean;
  /** The resource reached a state it never leaves (snapshot `error`, image `failed`): why. */
  failed?: string;
  /** The state as the service names it, for progress and the timeout message. */
  state: string;
  /** 0..100 when the service reports it. */
  progressPercent?: number;
}

export interface WaitOptions {
  /** What is waited for, for messages: "snapshot snap-… to complete". */
  what: string;
  /** Give up after this long (default 30 minutes, Packer's snapshot/AMI budget is the same order). */
  timeoutMs?: number;
  /** First interval (default 500 ms); it grows ×1.5 per poll up to maxIntervalMs. */
  intervalMs?: number;
  /** Longest interval (default 10 s). */
  maxIntervalMs?: number;
  /** Consecutive `done` polls required (default 1; coldsnap uses 3 to ride out flapping reads). */
  successesRequired?: number;
  signal?: AbortSignal;
  onPoll?: (outcome: PollOutcome, elapsedMs: number) => void;
  data?: Record<string, unknown>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

/**
 * Polls until `poll` says done `successesRequired` times in a row; throws AmikitError('AWS') on a
 * terminal state or when the deadline passes.
 * @example await waitUntil(() => snapshotState(ec2, id), { what: `snapshot ${id} to complete` });
 */
export async function waitUntil(poll: () => Promise<PollOutcome>, options: WaitOptions): Promise<PollOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const startMs = now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const successesRequired = Math.max(1, options.successesRequired ?? 1);
  let intervalMs = options.intervalMs ?? 500;
  let successes = 0;
  while (true) {
    options.signal?.throwIfAborted();
    const outcome = await poll();
    const elapsedMs = now() - startMs;
    options.onPoll?.(outcome, elapsedMs);
    if (outcome.failed !== undefined) {
      throw new AmikitError('AWS', `waiting for ${options.what} failed: ${outcome.failed}`, { data: { ...options.data, state: outcome.state } });
    }
    successes = outcome.done ? successes + 1 : 0;
    if (successes >= successesRequired) return outcome;
    if (elapsedMs >= timeoutMs) {
      throw new AmikitError('AWS', `gave up waiting for ${options.what} after ${Math.round(elapsedMs / 1000)} s (still ${outcome.state})`, {
        data: { ...options.data, state: outcome.state },
      });
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsedMs)), options.signal);
    intervalMs = Math.min(options.maxIntervalMs ?? 10_000, intervalMs * 1.5);
  }
}
