// A clock the tests move by hand, so delays of the local AWS endpoint (snapshot completion, AMI
// availability, the "snapshot does not exist yet" window, rate windows) never depend on wall time.

/** What the endpoint asks for the time; the default is the real clock. */
export interface EndpointClock {
  now(): number;
}

/** A clock that only moves when `advance` is called. */
export class ManualClock implements EndpointClock {
  #nowMs: number;

  /** @param startMs epoch milliseconds to start at (default 2024-01-01T00:00:00Z). */
  constructor(startMs = Date.UTC(2024, 0, 1)) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (got ${ms} ms)`);
    this.#nowMs += ms;
  }
}

export const REAL_CLOCK: EndpointClock = { now: () => Date.now() };
