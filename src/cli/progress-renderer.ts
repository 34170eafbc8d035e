// Renders progress on stderr: a redrawn bar on a terminal, otherwise one plain line every few seconds
// (CI logs stay readable). Nothing here touches stdout, which belongs to results.
import { formatBytes } from '../shared/units.js';
import type { ProgressEvent } from '../pipeline/progress-event.js';

/** Interval between plain progress lines when stderr is not a terminal. */
const PLAIN_LINE_INTERVAL_MS = 5000;
/** Minimum redraw interval of the terminal bar, to keep rendering cost negligible. */
const BAR_REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH_CHARS = 30;

export class ProgressRenderer {
  private lastDrawMs: number;
  private lastPhase = '';
  private barVisible = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number = () => performance.now(),
  ) {
    // Plain lines start one interval after the start: a job that ends sooner prints no progress at all.
    this.lastDrawMs = now();
  }

  update(event: ProgressEvent): void {
    const nowMs = this.now();
    const phaseChanged = event.phase !== this.lastPhase;
    if (this.stream.isTTY) {
      if (!phaseChanged && nowMs - this.lastDrawMs < BAR_REDRAW_INTERVAL_MS) return;
      const fraction = event.totalBytes > 0 ? Math.min(1, event.doneBytes / event.totalBytes) : 0;
      const filled = Math.round(fraction * BAR_WIDTH_CHARS);
      const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH_CHARS - filled);
      const text = `${event.phase.padEnd(16)} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(event.doneBytes)}${event.detail ? ` ${event.detail}` : ''}`;
      this.stream.write(`\r${text}\x1b[K`);
      this.barVisible = true;
    } else {
      if (nowMs - this.lastDrawMs < PLAIN_LINE_INTERVAL_MS) return;
      const percent = event.totalBytes > 0 ? ` ${((event.doneBytes / event.totalBytes) * 100).toFixed(0)}%` : '';
      // A phase without a byte count (waiting for an AMI) shows its detail alone.
      const bytes = event.totalBytes > 0 || event.doneBytes > 0 ? ` ${formatBytes(event.doneBytes)} of ${formatBytes(event.totalBytes)}` : '';
      this.stream.write(`amikit: ${event.phase}:${percent}${bytes}${event.detail ? `${bytes ? ',' : ''} ${event.detail}` : ''}\n`);
    }
    this.lastDrawMs = nowMs;
    this.lastPhase = event.phase;
  }

  /** Clears the bar so following output starts on a clean line. */
  finish(): void {
    if (this.barVisible) this.stream.write('\r\x1b[K');
    this.barVisible = false;
  }
}
