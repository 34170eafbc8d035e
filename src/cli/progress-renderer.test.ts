import { describe, expect, it } from 'vitest';
import { ProgressRenderer } from './progress-renderer.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('ProgressRenderer', () => {
  it('prints nothing for a job shorter than one interval when not on a terminal', () => {
    let nowMs = 0;
    const { stream, written } = fakeStream(false);
    const renderer = new ProgressRenderer(stream, () => nowMs);
    for (nowMs = 0; nowMs < 4000; nowMs += 100) renderer.update({ phase: 'data', doneBytes: nowMs, totalBytes: 4000 });
    renderer.finish();
    expect(written).toEqual([]);
  });

  it('prints one plain line every five seconds otherwise', () => {
    let nowMs = 0;
    const { stream, written } = fakeStream(false);
    const renderer = new ProgressRenderer(stream, () => nowMs);
    for (nowMs = 0; nowMs <= 12_000; nowMs += 100) renderer.update({ phase: 'data', doneBytes: 1024 * 1024, totalBytes: 4 * 1024 * 1024 });
    expect(written).toEqual(['amikit: data: 25% 1 MiB of 4 MiB\n', 'amikit: data: 25% 1 MiB of 4 MiB\n']);
  });

  it('a phase without byte counts (waiting for an AMI) prints its detail alone', () => {
    let nowMs = 0;
    const { stream, written } = fakeStream(false);
    const renderer = new ProgressRenderer(stream, () => nowMs);
    nowMs = 6000;
    renderer.update({ phase: 'wait for image', doneBytes: 0, totalBytes: 0, detail: 'ami-0123 pending, 6 s' });
    expect(written).toEqual(['amikit: wait for image: ami-0123 pending, 6 s\n']);
  });

  it('redraws a bar in place on a terminal and clears it at the end', () => {
    let nowMs = 0;
    const { stream, written } = fakeStream(true);
    const renderer = new ProgressRenderer(stream, () => nowMs);
    renderer.update({ phase: 'data', doneBytes: 0, totalBytes: 10 });
    nowMs = 50;
    renderer.update({ phase: 'data', doneBytes: 5, totalBytes: 10 });
    nowMs = 200;
    renderer.update({ phase: 'data', doneBytes: 10, totalBytes: 10 });
    renderer.finish();
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^\r.*\[-{30}\]   0%/);
    expect(written[1]).toMatch(/\[#{30}\] 100%/);
    expect(written[2]).toBe('\r\x1b[K');
  });
});

describe('ProgressRenderer detail', () => {
  it('appends the event detail to plain lines and to the bar', () => {
    let nowMs = 0;
    const plain = fakeStream(false);
    const renderer = new ProgressRenderer(plain.stream, () => nowMs);
    nowMs = 6000;
    renderer.update({ phase: 'upload', doneBytes: 1024 * 1024, totalBytes: 2 * 1024 * 1024, detail: '2/4 blocks, 3 retries' });
    expect(plain.written).toEqual(['amikit: upload: 50% 1 MiB of 2 MiB, 2/4 blocks, 3 retries\n']);
    const tty = fakeStream(true);
    new ProgressRenderer(tty.stream, () => 0).update({ phase: 'upload', doneBytes: 0, totalBytes: 1, detail: 'ETA 3 s' });
    expect(tty.written[0]).toMatch(/ETA 3 s\x1b\[K$/);
  });
});
