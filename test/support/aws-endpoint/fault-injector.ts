// Faults a test can switch on for the local AWS endpoint: throttling (at a rate or above a per-snapshot
// request-rate cap, like the 1000 PutSnapshotBlock/s quota), 500/503 at a rate, connection resets
// mid-body, added latency, access denied (a policy that forbids one call), and the "snapshot does not
// exist yet" window right after StartSnapshot.
import type { EndpointClock } from './manual-clock.js';

export type FaultKind = 'throttle' | 'server-error' | 'reset' | 'latency' | 'access-denied';

export interface FaultRule {
  kind: FaultKind;
  /** Operation names (`PutSnapshotBlock`, `DescribeImages`, …); all operations when omitted. */
  operations?: readonly string[];
  /** Probability per matching request, 0..1 (default 1), drawn from the endpoint's seeded generator. */
  rate?: number;
  /** Stop after injecting this many times (default unlimited). */
  times?: number;
  /** For 'server-error': the HTTP status (default 500). */
  status?: 500 | 503;
  /** For 'latency': the delay added before the request is handled, in real milliseconds. */
  latencyMs?: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'throttle'; reason: 'ACCOUNT_THROTTLED' | 'RESOURCE_LEVEL_THROTTLE' }
  | { kind: 'server-error'; status: 500 | 503 }
  | { kind: 'reset' }
  | { kind: 'access-denied' };

interface ActiveRule extends FaultRule {
  remaining: number;
}

/** Per-test fault switches; every injected fault is counted in `injected`. */
export class FaultInjector {
  #rules: ActiveRule[] = [];
  #random: () => number;
  #rateCaps = new Map<string, number>();
  #windows = new Map<string, number[]>();
  /**
   * How long after StartSnapshot the new snapshot is invisible to PutSnapshotBlock (answered with
   * ResourceNotFoundException), in endpoint-clock milliseconds — the window coldsnap #43 hit. Default 0.
   */
  snapshotNotFoundWindowMs = 0;
  readonly injected = { throttle: 0, serverError: 0, reset: 0, latency: 0, notFound: 0, accessDenied: 0 };

  constructor(
    private readonly clock: EndpointClock,
    seed: number,
  ) {
    this.#random = mulberry32(seed);
    // The per-snapshot quotas AWS does not let anyone raise.
    this.#rateCaps.set('PutSnapshotBlock', 1000);
    this.#rateCaps.set('GetSnapshotBlock', 1000);
  }

  /** Adds a rule; returns a function that removes it again. */
  add(rule: FaultRule): () => void {
    const active: ActiveRule = { ...rule, remaining: rule.times ?? Number.POSITIVE_INFINITY };
    this.#rules.push(active);
    return () => {
      this.#rules = this.#rules.filter((r) => r !== active);
    };
  }

  /**
   * Sets the per-snapshot requests-per-second cap for an operation (undefined removes it). Requests over
   * the cap within one second of the endpoint clock are throttled with RESOURCE_LEVEL_THROTTLE. With a
   * frozen ManualClock every request falls in the same second, so advance it when writing many blocks.
   */
  setRateCap(operation: 'PutSnapshotBlock' | 'GetSnapshotBlock', perSnapshotPerSecond: number | undefined): void {
    if (perSnapshotPerSecond === undefined) this.#rateCaps.delete(operation);
    else this.#rateCaps.set(operation, perSnapshotPerSecond);
  }

  /** Removes every rule and the not-found window; rate caps go back to the AWS quotas. */
  clear(): void {
    this.#rules = [];
    this.snapshotNotFoundWindowMs = 0;
    this.#rateCaps.set('PutSnapshotBlock', 1000);
    this.#rateCaps.set('GetSnapshotBlock', 1000);
  }

  /** Total latency the matching latency rules add to this request. */
  latencyFor(operation: string): number {
    let totalMs = 0;
    for (const rule of this.#matching(operation, 'latency')) {
      totalMs += rule.latencyMs ?? 0;
      this.injected.latency++;
    }
    return totalMs;
  }

  /** Decides which fault, if any, replaces the real answer to this request. */
  decide(operation: string, snapshotId: string | undefined): FaultDecision {
    for (const rule of this.#matching(operation, undefined)) {
      if (rule.kind === 'throttle') {
        this.injected.throttle++;
        return { kind: 'throttle', reason: 'ACCOUNT_THROTTLED' };
      }
      if (rule.kind === 'server-error') {
        this.injected.serverError++;
        return { kind: 'server-error', status: rule.status ?? 500 };
      }
      if (rule.kind === 'reset') {
        this.injected.reset++;
        return { kind: 'reset' };
      }
      if (rule.kind === 'access-denied') {
        this.injected.accessDenied++;
        return { kind: 'access-denied' };
      }
    }
    const cap = this.#rateCaps.get(operation);
    if (cap !== undefined && snapshotId) {
      const key = `${operation}/${snapshotId}`;
      const now = this.clock.now();
      const recent = (this.#windows.get(key) ?? []).filter((t) => t > now - 1000);
      if (recent.length >= cap) {
        this.#windows.set(key, recent);
        this.injected.throttle++;
        return { kind: 'throttle', reason: 'RESOURCE_LEVEL_THROTTLE' };
      }
      recent.push(now);
      this.#windows.set(key, recent);
    }
    return { kind: 'none' };
  }

  // Latency rules are matched separately from the rules that replace the answer.
  *#matching(operation: string, kind: 'latency' | undefined): Generator<ActiveRule> {
    for (const rule of this.#rules) {
      if ((kind === 'latency') !== (rule.kind === 'latency')) continue;
      if (rule.operations && !rule.operations.includes(operation)) continue;
      if (rule.remaining <= 0) continue;
      if (this.#random() >= (rule.rate ?? 1)) continue;
      rule.remaining--;
      yield rule;
    }
  }
}

// A small seeded generator, so "at a rate" faults hit the same requests on every run.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
