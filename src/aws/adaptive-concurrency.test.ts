import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from './adaptive-concurrency.js';

describe('AdaptiveConcurrency', () => {
  it('halves once per burst of throttles and grows by one per window of successes', () => {
    let nowMs = 0;
    const gate = new AdaptiveConcurrency({ initial: 64, max: 80, now: () => nowMs });
    const epoch = gate.epoch;
    for (let i = 0; i < 30; i++) gate.onThrottle(epoch);
    expect(gate.limit).toBe(32);
    gate.onThrottle(gate.epoch);
    expect(gate.limit).toBe(32); // within the same second
    nowMs = 1000;
    gate.onThrottle(gate.epoch);
    expect(gate.limit).toBe(16);
    for (let i = 0; i < 16; i++) gate.onSuccess();
    expect(gate.limit).toBe(17);
    for (let i = 0; i < 10_000; i++) gate.onSuccess();
    expect(gate.limit).toBe(80);
    expect(gate.lowest).toBe(16);
    for (let i = 0; i < 20; i++) {
      nowMs += 1000;
      gate.onThrottle(gate.epoch);
    }
    expect(gate.limit).toBe(2);
  });

  it('never admits more than the limit, and a fixed limit does not move', async () => {
    const gate = new AdaptiveConcurrency({ fixed: 3 });
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await gate.acquire();
        peak = Math.max(peak, gate.inFlight);
        await new Promise((r) => setTimeout(r, 1));
        gate.onThrottle(gate.epoch);
        gate.release();
      }),
    );
    expect(peak).toBe(3);
    expect(gate.limit).toBe(3);
    await gate.drain();
    expect(gate.inFlight).toBe(0);
  });

  it('an aborted waiter leaves the queue', async () => {
    const gate = new AdaptiveConcurrency({ fixed: 1 });
    await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    gate.release();
    expect(gate.inFlight).toBe(0);
  });
});
