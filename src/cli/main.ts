#!/usr/bin/env -S UV_THREADPOOL_SIZE=2 node --max-semi-space-size=8 --no-turbo-inlining
// (All three settings were measured on paired Debian rootfs builds. The young generation is capped at 8 MiB
// semi-spaces, half V8's default: a build keeps little of what it allocates, and on VMs that hand free
// memory back to their host every fresh MiB of heap costs ~4 ms to fault in: 5 % faster, 35 MiB less
// peak RSS. TurboFan runs without inlining: a build executes each hot function for well under a second,
// and its background compiles took ~0.5 core-s of a 1.7 core-s build, competing for the two cores with
// the writes. Without inlining they take ~30 % less (--trace-opt), the build 7 % less CPU and 3 % less
// wall; uploads, whose hot loops are native, are unchanged. libuv's thread pool has two threads instead
// of four: a build never has more than three file requests in flight, all of them kernel copies, and a
// third copying thread on two cores only preempted the main thread: builds 3 % faster on tmpfs (3 runs
// of 10-14 pairs), no slower from a cold disk, uploads (reads ahead on the pool, hashing on workers)
// unchanged. libuv reads the variable when the pool starts, before any of this code runs (the module
// loader already uses the pool), so only the command line can set it; it overrides the caller's.)
// amikit's executable entry. It installs the process-level guards before anything heavy loads, so a
// signal or a crash at any moment removes temporary outputs, then loads and runs the CLI.
// The installed bin is this file bundled by esbuild (`npm run build` → dist/bin/amikit.js, one chunk per
// lazily loaded verb): Node 20's ESM loader spends ~0.5 ms opening, reading and linking each of the ~150
// modules a build loads, and the bundle cut a tiny build from 0.30 s to 0.22 s (bare node: 0.11 s).
import { runInterruptCleanups } from '../pipeline/interrupt-cleanups.js';
import { discardAllTempOutputs, discardAllTempOutputsSync } from '../pipeline/temp-output.js';
import { interruptionExitCode, noteInterruption } from './interruption.js';
import { keepFreedMemory } from '../kernels/keep-freed-memory.js';

function onSignal(signal: NodeJS.Signals): void {
  noteInterruption(signal);
  // Cleanups (an upload deletes its pending snapshot) and temp files together, then exit.
  void Promise.all([runInterruptCleanups(), discardAllTempOutputs()]).finally(() => {
    process.stderr.write(`amikit: error: interrupted by ${signal}; no output was written\n`);
    process.exit(interruptionExitCode());
  });
}
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

// Whatever ends the process, a temporary output must not outlive it.
process.on('exit', discardAllTempOutputsSync);

// Output may be piped into `head`: a closed stdout is not an error worth a stack trace, and a closed
// stderr must not kill a build that is still writing (progress and warnings are then dropped).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// Before the work allocates: see keep-freed-memory.ts.
keepFreedMemory();

const { runCli } = await import('./run-cli.js');
process.exitCode = await runCli(process.argv.slice(2));
