// Remembers that a signal ended the run, so errors of operations cut short by it are not reported.

let interruptedBy: NodeJS.Signals | undefined;

export function noteInterruption(signal: NodeJS.Signals): void {
  interruptedBy = signal;
}

/** 130 after SIGINT, 143 after SIGTERM (128 + signal number), undefined when not interrupted. */
export function interruptionExitCode(): number | undefined {
  if (!interruptedBy) return undefined;
  return 128 + (interruptedBy === 'SIGINT' ? 2 : 15);
}
