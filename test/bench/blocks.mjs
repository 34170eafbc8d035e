// Block pipeline benchmark: amikit's hashing, .img.zst output and sparse reading against the peers a
// user would reach for (openssl dgst -sha256, zstd -1 -T2), measured side by side in the same run on
// (a) incompressible random data and (b) the real Debian rootfs disk image. Reports; never fails on speed.
//   node test/bench/blocks.mjs [--runs N] [--random-gib 2] [--dir DIR] [--json]   (dist/ must be built)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findTool, runMeasured, rusageReader, summarize, syncFilesystemOf } from './measure.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNNER = join(REPO, 'test/bench/blocks-run.mjs');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'random-gib': { type: 'string', default: '2' },
    dir: { type: 'string' },
    tar: { type: 'string', default: join(REPO, 'fixtures/cache/debian-bookworm-rootfs.tar') },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const reader = rusageReader();
const work = mkdtempSync(join(values.dir ?? tmpdir(), 'amikit-bench-blocks-'));
const log = (line) => process.stderr.write(line + '\n');
const report = { machine: { cpus: cpus().length, model: cpus()[0]?.model }, inputs: {} };

function makeRandom(path, bytes) {
  const fd = openSync(path, 'w');
  const chunk = randomBytes(64 * MiB);
  for (let done = 0; done < bytes; done += chunk.length) {
    // Re-randomise a prefix so no 64 MiB pattern repeats within zstd's reach.
    randomBytes(4096).copy(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
  }
  closeSync(fd);
}

// Every run starts from the same state: its output removed and earlier writeback flushed, both outside
// the timing. Without this, `zstd -f` unlinks its previous output (dropping its dirty pages unwritten)
// while amikit's rename over an existing file makes ext4 (auto_da_alloc) start writing the new file at
// once, so one side paid for a GiB of writeback per run and the other for none. The flush of the output's
// filesystem right after each run is timed apart: wall is what a user waits for, wall + flush is the time
// until the output is on disk (neither tool fsyncs).
async function measure(argv, { env, output } = {}) {
  const samples = [];
  for (let run = 0; run < runs + 1; run++) {
    if (output) rmSync(output, { force: true });
    syncFilesystemOf(work);
    const result = await runMeasured(argv, { reader, env: { ...process.env, ...env } });
    if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: ${result.output}`);
    const flushStarted = process.hrtime.bigint();
    syncFilesystemOf(work);
    result.flushSec = Number(process.hrtime.bigint() - flushStarted) / 1e9;
    if (run > 0) samples.push(result); // run 0 warms the page cache and the JIT-free paths
  }
  const wall = summarize(samples.map((s) => s.wallSec)).median;
  const durable = summarize(samples.map((s) => s.wallSec + s.flushSec)).median;
  const cpu = summarize(samples.map((s) => (s.userSec ?? NaN) + (s.sysSec ?? NaN))).median;
  const rss = summarize(samples.map((s) => s.peakRssKiB)).max;
  return { wallSec: wall, durableSec: durable, cpuSec: cpu, peakRssMiB: rss === null ? null : rss / 1024, output: samples.at(-1).output };
}

async function benchInput(name, path) {
  const sizeBytes = statSync(path).size;
  const gib = sizeBytes / GiB;
  const entry = { sizeBytes };
  log(`\n== ${name}: ${path} (${(sizeBytes / MiB).toFixed(0)} MiB)`);
  const openssl = await measure(['openssl', 'dgst', '-sha256', path]);
  const hash = await measure(['node', RUNNER, 'hash', path]);
  entry.hash = { openssl, amikit: hash, throughputRatio: openssl.wallSec / hash.wallSec };
  log(`hash      amikit ${hash.wallSec.toFixed(3)} s  openssl dgst -sha256 ${openssl.wallSec.toFixed(3)} s  ⇒ ${(openssl.wallSec / hash.wallSec).toFixed(2)}× openssl throughput (bar ≥ 1.6, goal ≥ 1.9)`);
  const zstdOut = join(work, 'peer.zst');
  const ourOut = join(work, 'amikit.img.zst');
  const zstd = await measure(['zstd', '-1', '-T2', '-q', '-f', path, '-o', zstdOut], { output: zstdOut });
  const zst = await measure(['node', RUNNER, 'zst', path, ourOut, '1'], { output: ourOut });
  const zstSha = await measure(['node', RUNNER, 'zst+sha', path, ourOut, '1'], { output: ourOut });
  const ratioPeer = sizeBytes / statSync(zstdOut).size;
  const ratioOurs = sizeBytes / statSync(ourOut).size;
  entry.zst = { zstd, amikit: zst, amikitWithSha256: zstSha, timeRatio: zst.wallSec / zstd.wallSec, compressionRatio: { amikit: ratioOurs, zstd: ratioPeer } };
  log(`.img.zst  amikit ${zst.wallSec.toFixed(3)} s  zstd -1 -T2 ${zstd.wallSec.toFixed(3)} s  ⇒ ${(zst.wallSec / zstd.wallSec).toFixed(2)}× its time (bar ≤ 1.2, goal ≤ 1.0); ratio ${ratioOurs.toFixed(2)} vs ${ratioPeer.toFixed(2)}`);
  log(`          wall + flush: amikit ${zst.durableSec.toFixed(3)} s  zstd ${zstd.durableSec.toFixed(3)} s  ⇒ ${(zst.durableSec / zstd.durableSec).toFixed(2)}×`);
  log(`.img.zst + SHA-256 (manifest/upload path) ${zstSha.wallSec.toFixed(3)} s ⇒ ${(zstSha.wallSec / zstd.wallSec).toFixed(2)}× zstd's time`);
  for (const [what, m] of [['hash', hash], ['.img.zst', zst], ['zst+sha', zstSha], ['openssl', openssl], ['zstd -T2', zstd]]) {
    log(`  ${what.padEnd(9)} CPU ${(m.cpuSec / gib).toFixed(2)} s/GiB, peak RSS ${m.peakRssMiB?.toFixed(0)} MiB`);
  }
  rmSync(zstdOut, { force: true });
  rmSync(ourOut, { force: true });
  report.inputs[name] = entry;
}

async function benchSparse() {
  // 8 GiB apparent, 700 MiB of random data in 35 runs of 20 MiB spread over the image.
  const path = join(work, 'sparse-8g.img');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 8 * GiB);
  const chunk = randomBytes(20 * MiB);
  for (let run = 0; run < 35; run++) writeSync(fd, chunk, 0, chunk.length, Math.floor((run * (8 * GiB - 20 * MiB)) / 34 / MiB) * MiB);
  closeSync(fd);
  const dense = join(work, 'dense-700m.img');
  makeRandom(dense, 700 * MiB);
  log(`\n== sparse 8 GiB image holding 700 MiB of data`);
  const sparse = await measure(['node', RUNNER, 'hash', path]);
  const denseRun = await measure(['node', RUNNER, 'hash', dense]);
  const noNative = await measure(['node', RUNNER, 'hash', path], { env: { AMIKIT_NO_NATIVE: '1' } });
  report.sparse = { sparse8GiB: sparse, dense700MiB: denseRun, sparse8GiBWithoutSeekData: noNative };
  log(`hash      sparse 8 GiB ${sparse.wallSec.toFixed(3)} s vs dense 700 MiB ${denseRun.wallSec.toFixed(3)} s (⇒ ${(sparse.wallSec / denseRun.wallSec).toFixed(2)}×, proportional to data); JS path without SEEK_DATA ${noNative.wallSec.toFixed(3)} s`);
  log(`  peak RSS: sparse 8 GiB ${sparse.peakRssMiB?.toFixed(0)} MiB, dense 700 MiB ${denseRun.peakRssMiB?.toFixed(0)} MiB (bar ≤ 256, independent of size)`);
  rmSync(path, { force: true });
  rmSync(dense, { force: true });
}

try {
  for (const tool of ['openssl', 'zstd']) if (!findTool(tool)) throw new Error(`needs ${tool}`);
  const random = join(work, 'random.bin');
  makeRandom(random, Number(values['random-gib']) * GiB);
  await benchInput(`random ${values['random-gib']} GiB`, random);
  rmSync(random, { force: true });
  const debianImage = join(work, 'debian.img');
  if (existsSync(values.tar)) {
    const build = spawnSync('node', [join(REPO, 'dist/bin/amikit.js'), 'build', '--layer', values.tar, '-o', debianImage, '--size', '2GiB', '--seed', 'bench'], { stdio: 'inherit', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    if (build.status !== 0) throw new Error('building the Debian image failed');
    await benchInput('Debian rootfs image (2 GiB, sparse)', debianImage);
  } else {
    log(`\n(skipping the Debian image: ${values.tar} missing; run npm run fixtures)`);
  }
  await benchSparse();
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
