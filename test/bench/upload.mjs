// Upload benchmark: `amikit upload` against the local AWS endpoint on loopback (a separate process), on
// (a) the real Debian rootfs built into a disk image and (b) 2 GiB of non-zero data. Reports the sustained
// PutSnapshotBlock rate and the client's CPU-seconds per GiB sent (medians); never fails on speed.
// Bar: ≥ 1000 blocks/s (the AWS per-snapshot cap), or, when the local server is the limit, client CPU
// ≤ 1 core-second per GiB. The server's own CPU is printed so it is clear which side limits.
//   node test/bench/upload.mjs [--runs N] [--gib 2] [--dir DIR] [--concurrency N] [--json]   (dist/ must be built)
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runMeasured, rusageReader, summarize, shebangCommand } from './measure.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'dist/bin/amikit.js');
// The node flags and variables on the CLI's shebang line: `amikit` runs with them, so the measured command does too.
const { nodeFlags: CLI_NODE_FLAGS, env: CLI_ENV } = shebangCommand(CLI);
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    gib: { type: 'string', default: '2' },
    dir: { type: 'string' },
    concurrency: { type: 'string' },
    tar: { type: 'string', default: join(REPO, 'fixtures/cache/debian-bookworm-rootfs.tar') },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const BLOCK = 512 * 1024;
const reader = rusageReader();
const work = mkdtempSync(join(values.dir ?? tmpdir(), 'amikit-bench-upload-'));
const log = (line) => process.stderr.write(line + '\n');
const report = { machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverage: null }, inputs: {} };

/** Non-zero, incompressible, deterministic data (AES-CTR keystream). */
function makeData(path, bytes) {
  const fd = openSync(path, 'w');
  const cipher = createCipheriv('aes-128-ctr', Buffer.from('amikit-bench-key'), Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * MiB);
  for (let done = 0; done < bytes; done += zeros.length) writeSync(fd, cipher.update(zeros), 0, Math.min(zeros.length, bytes - done));
  closeSync(fd);
}

/** Starts the endpoint process; resolves to its environment and a stop() that returns its CPU report. */
async function startEndpoint() {
  const child = spawn(join(REPO, 'node_modules/.bin/vite-node'), [join(REPO, 'test/bench/upload-endpoint.ts')], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new Error('the endpoint did not start');
  const { env } = JSON.parse(first.value);
  return {
    env,
    async stop() {
      child.stdin.end();
      const last = await iterator.next();
      return last.done ? {} : JSON.parse(last.value);
    },
  };
}

async function benchInput(name, path) {
  log(`\n== ${name}`);
  const samples = [];
  for (let run = 0; run < runs + 1; run++) {
    const endpoint = await startEndpoint();
    const argv = ['node', ...CLI_NODE_FLAGS, CLI, 'upload', path, '--json', ...(values.concurrency ? ['--concurrency', values.concurrency] : [])];
    const measured = await runMeasured(argv, { reader, env: { ...process.env, ...endpoint.env, ...CLI_ENV } });
    const server = await endpoint.stop();
    if (measured.exitCode !== 0) throw new Error(`upload failed: ${measured.output}`);
    const result = JSON.parse(measured.output.slice(measured.output.indexOf('{')));
    const sentGiB = (result.blocksSent * BLOCK) / GiB;
    const sample = {
      blocksSent: result.blocksSent,
      blocksPerSec: result.blocksSent / result.seconds,
      uploadSec: result.seconds,
      wallSec: measured.wallSec,
      clientCpuSec: measured.userSec + measured.sysSec,
      clientCpuSecPerGiB: (measured.userSec + measured.sysSec) / sentGiB,
      serverCpuSec: server.serverCpuSec,
      serverCpuSecPerGiB: server.serverCpuSec / sentGiB,
      peakRssMiB: measured.peakRssKiB / 1024,
      retries: result.retries,
      finalConcurrency: result.concurrency.final,
    };
    if (run > 0) samples.push(sample); // run 0 warms the page cache
    log(`  run ${run}${run === 0 ? ' (warm-up)' : ''}: ${sample.blocksSent} blocks in ${sample.uploadSec.toFixed(2)} s = ${sample.blocksPerSec.toFixed(0)} blocks/s; client CPU ${sample.clientCpuSecPerGiB.toFixed(2)} s/GiB, server CPU ${sample.serverCpuSecPerGiB.toFixed(2)} s/GiB, RSS ${sample.peakRssMiB.toFixed(0)} MiB, ${sample.retries} retries`);
  }
  const median = (key) => summarize(samples.map((s) => s[key])).median;
  const entry = {
    blocksSent: samples[0].blocksSent,
    blocksPerSec: median('blocksPerSec'),
    clientCpuSecPerGiB: median('clientCpuSecPerGiB'),
    serverCpuSecPerGiB: median('serverCpuSecPerGiB'),
    peakRssMiB: median('peakRssMiB'),
    samples,
  };
  const rateOk = entry.blocksPerSec >= 1000;
  const cpuOk = entry.clientCpuSecPerGiB <= 1;
  log(`median: ${entry.blocksPerSec.toFixed(0)} PutSnapshotBlock/s (bar ≥ 1000: ${rateOk ? 'met' : 'not met'}); client CPU ${entry.clientCpuSecPerGiB.toFixed(2)} core-s/GiB (bar ≤ 1: ${cpuOk ? 'met' : 'not met'}); server CPU ${entry.serverCpuSecPerGiB.toFixed(2)} core-s/GiB`);
  report.inputs[name] = entry;
}

try {
  const data = join(work, 'data.img');
  makeData(data, Number(values.gib) * GiB);
  await benchInput(`${values.gib} GiB of non-zero data`, data);
  rmSync(data, { force: true });
  if (existsSync(values.tar)) {
    const image = join(work, 'debian.img');
    const build = spawnSync('node', [CLI, 'build', '--layer', values.tar, '-o', image, '--size', '2GiB', '--seed', 'bench'], { stdio: ['ignore', 2, 2], env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    if (build.status !== 0) throw new Error('building the Debian image failed');
    await benchInput('Debian rootfs image (2 GiB, sparse)', image);
  } else {
    log(`\n(skipping the Debian image: ${values.tar} missing; run npm run fixtures)`);
  }
  report.machine.loadAverage = (await import('node:os')).loadavg();
  log(`\nmachine: ${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')} (the client and server share these cores)`);
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
