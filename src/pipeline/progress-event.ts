// Progress reported by long-running library calls; the CLI renders it, the library never prints.

export interface ProgressEvent {
  /** What is happening now: "index layers", "write data", "write metadata", "write tar". */
  phase: string;
  doneBytes: number;
  totalBytes: number;
}

export type ProgressListener = (event: ProgressEvent) => void;
