// How many requests may be in flight: AIMD (additive increase, multiplicative decrease) like TCP,
// starting high enough for the 1000 PutSnapshotBlock/s per-snapshot quota at ~100 ms latency.

export interface AdaptiveConcurrencyOptions {
  /** A fixed limit (`--concurrency N`): no adaptation. */
  fixed?: number;
  /** Starting limit (default 128: 1000 requests/s needs ~100 in flight at AWS's ~100 ms, ebsapi-performance). */
  initial?: number;
  /** Never below this (default 2). */
  min?: number;
  /** Never above this (default 256); also bounds the blocks held in memory. */
  max?: number;
  /**
   * At most one halving per this many ms (default 1000: the AWS quotas are per second, so the throttles
   * of one second are one signal, and scattered throttling does not collapse the limit to the floor).
   */
  decreaseIntervalMs?: number;
  now?: () => number;
}

export const DEFAULT_INITIAL_CONCURRENCY = 128;
export const DEFAULT_MAX_CONCURRENCY = 256;

/**
 * A counting gate whose size halves on throttling and grows by one per window of successes.
 * @example
 *   const gate = new AdaptiveConcurrency(); await gate.acquire(); const epoch = gate.epoch;
 *   try { await put(); gate.onSuccess(); } catch (e) { if (throttled(e)) gate.onThrottle(epoch); } finally { gate.release(); }
 */
export class AdaptiveConcurrency {
  readonly isFixed: boolean;
  readonly max: number;
  readonly min: number;
  #limit: number;
  #inFlight = 0;
  #successesSinceChange = 0;
  #epoch = 0;
  #waiters: (() => void)[] = [];
  #lastDecreaseMs = Number.NEGATIVE_INFINITY;
  readonly #decreaseIntervalMs: number;
  readonly #now: () => number;
  /** Times the limit was halved. */
  decreases = 0;
  /** Lowest limit reached. */
  lowest: number;

  constructor(options: AdaptiveConcurrencyOptions = {}) {
    this.isFixed = options.fixed !== undefined;
    this.min = Math.max(1, options.fixed ?? options.min ?? 2);
    this.max = Math.max(this.min, options.fixed ?? options.max ?? DEFAULT_MAX_CONCURRENCY);
    this.#limit = Math.min(this.max, Math.max(this.min, options.fixed ?? options.initial ?? DEFAULT_INITIAL_CONCURRENCY));
    this.lowest = this.#limit;
    this.#decreaseIntervalMs = options.decreaseIntervalMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Changes whenever the limit is halved; a throttle seen by a request started in an older epoch was already answered. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Resolves when a slot is free and takes it. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.#inFlight >= this.#limit) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          reject(signal!.reason);
        };
        this.#waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.#inFlight++;
  }

  release(): void {
    this.#inFlight--;
    this.#wake();
  }

  /** A request finished without throttling: one more slot after a full window of successes. */
  onSuccess(): void {
    if (this.isFixed) return;
    if (++this.#successesSinceChange < this.#limit) return;
    this.#successesSinceChange = 0;
    if (this.#limit < this.max) {
      this.#limit++;
      this.#wake();
    }
  }

  /**
   * A request was throttled: halve the limit, once per epoch and at most once per decreaseIntervalMs,
   * so a burst of throttles from requests that were in flight together counts as one signal.
   */
  onThrottle(requestEpoch: number): void {
    if (this.isFixed || requestEpoch !== this.#epoch) return;
    const nowMs = this.#now();
    if (nowMs - this.#lastDecreaseMs < this.#decreaseIntervalMs) return;
    this.#lastDecreaseMs = nowMs;
    this.#epoch++;
    this.#successesSinceChange = 0;
    const halved = Math.max(this.min, Math.floor(this.#limit / 2));
    if (halved < this.#limit) this.decreases++;
    this.#limit = halved;
    this.lowest = Math.min(this.lowest, halved);
  }

  /** Waits until nothing is in flight. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
