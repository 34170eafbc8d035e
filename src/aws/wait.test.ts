import { describe, expect, it } from 'vitest';
import { AmikitError } from '../shared/errors.js';
import { waitUntil, type PollOutcome } from './wait.js';

function clockAndSleep() {
  let nowMs = 0;
  const slept: number[] = [];
  return { now: () => nowMs, sleep: async (ms: number) => void (slept.push(ms), (nowMs += ms)), slept };
}

describe('waitUntil', () => {
  it('polls with a growing interval until done, reporting every poll', async () => {
    const clock = clockAndSleep();
    const states = ['pending', 'pending', 'pending', 'completed'];
    const seen: string[] = [];
    const outcome = await waitUntil(async (): Promise<PollOutcome> => {
      const state = states.shift()!;
      return { done: state === 'completed', state };
    }, { what: 'x', intervalMs: 100, now: clock.now, sleep: clock.sleep, onPoll: (poll) => seen.push(poll.state) });
    expect(outcome.state).toBe('completed');
    expect(seen).toEqual(['pending', 'pending', 'pending', 'completed']);
    expect(clock.slept).toEqual([100, 150, 225]);
  });

  it('needs the consecutive successes asked for; a relapse starts over', async () => {
    const clock = clockAndSleep();
    const done = [true, false, true, true];
    let polls = 0;
    await waitUntil(async () => ({ done: done[polls++]!, state: 's' }), { what: 'x', successesRequired: 2, now: clock.now, sleep: clock.sleep });
    expect(polls).toBe(4);
  });

  it('fails at once on a terminal state and after the deadline otherwise', async () => {
    const clock = clockAndSleep();
    await expect(waitUntil(async () => ({ done: false, state: 'error', failed: 'snapshot snap-1 is in state error' }), { what: 'snapshot snap-1 to complete', now: clock.now, sleep: clock.sleep })).rejects.toThrow(
      'waiting for snapshot snap-1 to complete failed: snapshot snap-1 is in state error',
    );
    const error = await waitUntil(async () => ({ done: false, state: 'pending' }), { what: 'image ami-1 to be available', timeoutMs: 60_000, now: clock.now, sleep: clock.sleep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmikitError);
    expect((error as AmikitError).message).toMatch(/^gave up waiting for image ami-1 to be available after 60 s \(still pending\)$/);
  });
});
