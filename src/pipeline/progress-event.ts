// Progress reported by long-running library calls; the CLI renders it, the library never prints.

export interface ProgressEvent {
  /** What is happening now: "index layers", "write data", "write metadata", "write tar". */
  phase: string;
  doneBytes: number;
  totalBytes: number;
  /** Extra facts shown after the byte counts: "1200/2048 blocks, 512 MiB/s, ETA 3 s, 4 retries". */
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;
