// Snapshot upload counters as a progress event: blocks, bytes, rate, ETA and retries in one line.
import type { SnapshotSinkProgress } from '../aws/ebs/snapshot-sink.js';
import { EBS_BLOCK_SIZE_BYTES, MiB } from '../shared/units.js';
import type { ProgressEvent } from './progress-event.js';

/** The event the renderer draws for an upload `elapsedSec` into it. */
export function uploadProgressEvent(progress: SnapshotSinkProgress, elapsedSec: number): ProgressEvent {
  const phase = progress.phase === 'upload' ? 'upload blocks' : progress.phase === 'complete' ? 'complete snapshot' : 'wait for snapshot';
  const parts = [`${progress.blocksDone}/${progress.blockCount} blocks (${progress.blocksSent} sent, ${progress.blocksSkipped} skipped)`];
  if (progress.phase === 'upload' && elapsedSec > 0) {
    const bytesPerSec = progress.bytesSent / elapsedSec;
    parts.push(`${(bytesPerSec / MiB).toFixed(0)} MiB/s`);
    const blocksPerSec = progress.blocksDone / elapsedSec;
    if (blocksPerSec > 0 && progress.blocksDone < progress.blockCount) parts.push(`ETA ${Math.ceil((progress.blockCount - progress.blocksDone) / blocksPerSec)} s`);
    parts.push(`${progress.concurrency} in flight`);
  }
  if (progress.snapshotProgressPercent !== undefined) parts.push(`snapshot ${progress.snapshotProgressPercent}%`);
  parts.push(`${progress.retries} retr${progress.retries === 1 ? 'y' : 'ies'}${progress.throttles > 0 ? ` (${progress.throttles} throttled)` : ''}`);
  return { phase, doneBytes: progress.blocksDone * EBS_BLOCK_SIZE_BYTES, totalBytes: progress.blockCount * EBS_BLOCK_SIZE_BYTES, detail: parts.join(', ') };
}
