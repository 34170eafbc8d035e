// Cleanups that must run when a signal ends the process (Ctrl-C during an upload deletes the pending
// snapshot); the CLI's signal handler awaits them, bounded, before it exits.

const cleanups = new Set<() => Promise<void>>();

/** Registers `cleanup` to run on SIGINT/SIGTERM; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Runs every registered cleanup at once; gives up waiting after `timeoutMs` so a signal always ends the process. */
export async function runInterruptCleanups(timeoutMs = 30_000): Promise<void> {
  const running = [...cleanups].map((cleanup) => cleanup().catch(() => undefined));
  cleanups.clear();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(running), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
