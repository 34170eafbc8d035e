import { describe, expect, it } from 'vitest';
import { uploadProgressEvent } from './upload-progress.js';

describe('uploadProgressEvent', () => {
  it('says blocks, rate, ETA, concurrency and retries', () => {
    const event = uploadProgressEvent(
      { phase: 'upload', snapshotId: 'snap-1', blocksDone: 1000, blockCount: 3000, blocksSent: 800, blocksSkipped: 200, bytesSent: 800 * 524288, retries: 7, throttles: 3, concurrency: 64 },
      2,
    );
    expect(event).toEqual({
      phase: 'upload blocks',
      doneBytes: 1000 * 524288,
      totalBytes: 3000 * 524288,
      detail: '1000/3000 blocks (800 sent, 200 skipped), 200 MiB/s, ETA 4 s, 64 in flight, 7 retries (3 throttled)',
    });
  });
});
