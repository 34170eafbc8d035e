// The one retry policy for AWS calls: throttling, 5xx, connection resets, timeouts and the short
// "snapshot not visible yet" window are retried with jittered exponential backoff; everything else
// (validation, access denied, not found) fails at once as an AmikitError naming the call.
import { AmikitError } from '../shared/errors.js';

/** How an AWS failure should be treated. */
export type AwsFailureKind =
  | 'throttle' // slow down and try again
  | 'server' // 5xx: try again
  | 'network' // reset, refused, timed out, cut-off body: try again
  | 'not-visible-yet' // not found right after creation (eventual consistency): try again within the window
  | 'fatal'; // validation, access, not found, conflict, ours: give up now

export interface AwsFailure {
  kind: AwsFailureKind;
  /** The service's error code (`RequestThrottledException`, `InvalidSnapshot.NotFound`) or the socket errno. */
  code: string;
  /** EBS direct's `Reason` (ACCOUNT_THROTTLED, SNAPSHOT_NOT_FOUND, …) when present. */
  reason: string | undefined;
  httpStatus: number | undefined;
  message: string;
}

const THROTTLE_CODES = new Set([
  'RequestThrottledException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'RequestThrottled',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
]);
const SERVER_CODES = new Set(['InternalServerException', 'InternalServerError', 'InternalError', 'ServiceUnavailableException', 'ServiceUnavailable', 'Unavailable', 'InternalFailure']);
const NETWORK_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);
const NOT_FOUND_CODES = new Set(['ResourceNotFoundException', 'InvalidSnapshot.NotFound', 'InvalidAMIID.NotFound']);

/** Reads the SDK error's code, EBS Reason, HTTP status and errno, and says whether trying again can help. */
export function classifyAwsError(error: unknown, options: { notFoundIsTransient?: boolean } = {}): AwsFailure {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    Code?: string;
    Reason?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $fault?: string;
    $response?: { statusCode?: number };
    cause?: { code?: string };
  };
  const httpStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const errno = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const code = (typeof e.Code === 'string' ? e.Code : undefined) ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? errno ?? 'Error';
  const reason = typeof e.Reason === 'string' ? e.Reason : undefined;
  const message = (e.message ?? String(error)).split('\n')[0]!;
  const failure = (kind: AwsFailureKind): AwsFailure => ({ kind, code, reason, httpStatus, message });
  // Our own cancellation (Ctrl-C, a sibling's fatal error) is never retried.
  if (code === 'AbortError' || e.name === 'AbortError') return failure('fatal');
  if (error instanceof AmikitError) return failure('fatal');
  if (THROTTLE_CODES.has(code) || httpStatus === 429) return failure('throttle');
  if (NOT_FOUND_CODES.has(code)) return failure(options.notFoundIsTransient ? 'not-visible-yet' : 'fatal');
  if (SERVER_CODES.has(code) || (httpStatus !== undefined && httpStatus >= 500)) return failure('server');
  if ((errno !== undefined && NETWORK_ERRNOS.has(errno)) || NETWORK_NAMES.has(code)) return failure('network');
  // A response cut off mid-body: the SDK fails to parse it, or the socket closes under the reader.
  if (/socket hang up|aborted|premature close|ECONNRESET|timed out|Deserialization error|Unexpected end of JSON|Unterminated string/i.test(message)) return failure('network');
  return failure('fatal');
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 8). */
  maxAttempts?: number;
  /** First backoff ceiling in ms; doubles per attempt (default 100; throttling starts at 4× this). */
  baseDelayMs?: number;
  /** Backoff ceiling in ms (default 10 s). */
  maxDelayMs?: number;
  /**
   * Until this time (Date.now() ms) a not-found answer means "not visible yet" and is retried: a new
   * snapshot can be invisible to PutSnapshotBlock for up to ~2 minutes (coldsnap #43).
   */
  notFoundRetryableUntilMs?: number;
  /** Cancels waiting and the call (passed to the call as its abortSignal). */
  signal?: AbortSignal;
  /** Called before each backoff sleep, e.g. to count retries and slow the concurrency down on throttling. */
  onRetry?: (failure: AwsFailure, attempt: number, delayMs: number) => void;
  /** Extra structured data for the final error (snapshotId, blockIndex). */
  data?: Record<string, unknown>;
  /** 0..1, for tests; default Math.random. */
  random?: () => number;
  /** For tests; default a timer that the signal cancels. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * Runs `call` until it succeeds, a failure is not retryable, or the attempts run out; the final
 * failure becomes AmikitError('AWS') with one line naming the operation.
 * @example await withRetry('CompleteSnapshot', (signal) => ebs.send(command, { abortSignal: signal }), { data: { snapshotId } });
 */
export async function withRetry<T>(operation: string, call: (signal: AbortSignal | undefined, attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await call(options.signal, attempt);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const notFoundIsTransient = options.notFoundRetryableUntilMs !== undefined && now() < options.notFoundRetryableUntilMs;
      const failure = classifyAwsError(error, { notFoundIsTransient });
      if (failure.kind === 'fatal' || attempt >= maxAttempts) {
        if (error instanceof AmikitError) throw error;
        throw awsFailureError(operation, failure, error, attempt, options.data);
      }
      // Full jitter: concurrent workers hit by the same throttle spread out instead of retrying in step.
      const base = failure.kind === 'throttle' ? baseDelayMs * 4 : baseDelayMs;
      const ceilingMs = Math.min(maxDelayMs, base * 2 ** (attempt - 1));
      const delayMs = Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
      options.onRetry?.(failure, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

/** The one-line AmikitError for a failed AWS call. */
export function awsFailureError(operation: string, failure: AwsFailure, cause: unknown, attempts = 1, data: Record<string, unknown> = {}): AmikitError {
  const where = Object.entries(data)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key === 'blockIndex' ? 'block' : key === 'snapshotId' ? 'snapshot' : key === 'imageId' ? 'image' : key} ${String(value)}`)
    .join(', ');
  const code = failure.reason ? `${failure.code} ${failure.reason}` : failure.code;
  const tries = failure.kind === 'fatal' ? '' : ` (still failing after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  const message = failure.message && failure.message !== failure.code ? `: ${failure.message}` : '';
  return new AmikitError('AWS', `${operation}${where ? ` (${where})` : ''} failed: ${code}${message}${tries}`, {
    data: { ...data, operation, awsCode: failure.code, ...(failure.reason ? { awsReason: failure.reason } : {}), ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}) },
    cause,
  });
}

/** A timer that rejects with the signal's reason when aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
