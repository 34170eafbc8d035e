// Benchmark plumbing: run one whole command and read its wall time, CPU time and peak RSS from the
// operating system's accounting of the reaped child; order statistics; page-cache control.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// Non-root shells often lack the sbin directories, where mke2fs lives.
const EXTRA_SEARCH_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Absolute path of an executable on PATH (or in the sbin directories), else undefined. */
export function findTool(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_SEARCH_DIRS];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, fsConstants.X_OK);
      return path;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

// Node cannot read a child's rusage, so a tiny wrapper reaps the command and reports it. GNU time is the
// usual one; python3's os.wait4 is the fallback because CI installs python3 but not `time`. Both report
// ru_maxrss of the reaped child, which Linux folds to the largest process of the waited-for tree
// (sh → tar, mke2fs), not a sum.
const PYTHON_WAIT4 = [
  'import os, sys',
  'out = sys.argv[1]',
  'pid = os.fork()',
  'if pid == 0:',
  '    try:',
  '        os.execvp(sys.argv[2], sys.argv[2:])',
  '    except OSError as error:',
  "        sys.stderr.write('cannot run %s: %s\\n' % (sys.argv[2], error.strerror))",
  '    os._exit(127)',
  '_, status, ru = os.wait4(pid, 0)',
  "open(out, 'w').write('%f %f %d\\n' % (ru.ru_utime, ru.ru_stime, ru.ru_maxrss))",
  'sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)',
].join('\n');

/**
 * How child resource usage is read: `{ name, wrap(reportPath, argv) }`, or undefined if nothing can.
 * `useGnuTime: false` forces the python3 fallback (to check it on a machine that has both).
 */
export function rusageReader({ useGnuTime = true } = {}) {
  const gnuTime = useGnuTime ? ['/usr/bin/time', findTool('time')].find((path) => path && isGnuTime(path)) : undefined;
  if (gnuTime) {
    return { name: 'GNU time', wrap: (report, argv) => [gnuTime, '-f', '%U %S %M', '-o', report, ...argv] };
  }
  const python = findTool('python3');
  if (python) return { name: 'python3 os.wait4', wrap: (report, argv) => [python, '-c', PYTHON_WAIT4, report, ...argv] };
  return undefined;
}

function isGnuTime(path) {
  try {
    accessSync(path, fsConstants.X_OK);
  } catch {
    return false;
  }
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return /GNU time/i.test(`${probe.stdout}${probe.stderr}`);
}

/**
 * Runs `argv` to completion. Wall seconds are taken around the whole child (start-up included); user,
 * system and peak RSS come from the reaper when there is one. Output is kept (bounded) for error reports.
 * @returns {{ wallSec: number, userSec: number|null, sysSec: number|null, peakRssKiB: number|null, exitCode: number|null, signal: string|null, output: string }}
 */
export async function runMeasured(argv, { env, cwd, reader } = {}) {
  const reportDir = reader ? mkdtempSync(join(tmpdir(), 'amikit-bench-rusage-')) : undefined;
  const reportPath = reportDir ? join(reportDir, 'rusage') : undefined;
  const fullArgv = reader ? reader.wrap(reportPath, argv) : argv;
  try {
    const started = process.hrtime.bigint();
    const { exitCode, signal, output } = await new Promise((resolve, reject) => {
      const child = spawn(fullArgv[0], fullArgv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      const keep = (chunk) => {
        // Only the tail matters for a failure message; a chatty child must not grow our RSS.
        text = (text + chunk.toString('utf8')).slice(-8192);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', reject);
      child.on('close', (code, sig) => resolve({ exitCode: code, signal: sig, output: text }));
    });
    const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
    let userSec = null;
    let sysSec = null;
    let peakRssKiB = null;
    if (reportPath) {
      // GNU time puts "Command exited with non-zero status N" first; the figures are the last line.
      const lines = safeRead(reportPath).trim().split('\n');
      const fields = (lines.at(-1) ?? '').trim().split(/\s+/).map(Number);
      if (fields.length === 3 && fields.every(Number.isFinite)) [userSec, sysSec, peakRssKiB] = fields;
    }
    return { wallSec, userSec, sysSec, peakRssKiB, exitCode, signal, output };
  } finally {
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  }
}

function safeRead(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Median (mean of the middle two for an even count), min and max; nulls are ignored. */
export function summarize(values) {
  const sorted = values.filter((value) => value !== null && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: null, min: null, max: null, count: 0 };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), count: sorted.length };
}

/** Flushes dirty pages to disk (so one run's writeback is not billed to the next). */
export function syncAll() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** Flushes only the filesystem holding `path` (syncfs): another process's writes elsewhere are not billed. */
export function syncFilesystemOf(path) {
  const result = spawnSync('sync', ['-f', path], { stdio: 'ignore' });
  if (result.status !== 0) syncAll();
}

/** Whether this process may drop the page cache (root on a kernel that allows it). */
export function canDropCaches() {
  try {
    syncAll();
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Writes back dirty pages, then evicts clean page cache, dentries and inodes: a cold-cache run. */
export function dropCaches() {
  syncAll();
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

/**
 * What a CLI's shebang line (`#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS`) adds to a plain `node CLI`:
 * the variables env sets and the node flags. The installed bin runs with both, so a measured command must too.
 */
export function shebangCommand(path) {
  if (!existsSync(path)) return { env: {}, nodeFlags: [] };
  const words = readFileSync(path, 'utf8').split('\n', 1)[0].replace(/^#!\S*env (-S )?/, '').split(' ').filter(Boolean);
  const nodeAt = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, Math.max(nodeAt, 0)).map((word) => word.split('=', 2)));
  return { env, nodeFlags: nodeAt >= 0 ? words.slice(nodeAt + 1) : [] };
}
