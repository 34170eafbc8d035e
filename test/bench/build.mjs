// Benchmark: real Debian rootfs tar → 2 GiB ext4 image. Times `amikit build` against its peers in the same
// run (root tar -x + mke2fs -d, the same under fakeroot, mke2fs -d alone) on tmpfs and on disk; prints medians, ratios and the bars.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatCpuProfileSummary, summarizeCpuProfile } from './cpu-profile.mjs';
import { canDropCaches, dropCaches, findTool, runMeasured, rusageReader, summarize, syncAll, syncFilesystemOf, shebangCommand } from './measure.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI_PATH = join(REPO_ROOT, 'dist/bin/amikit.js');
// The node flags and variables on the CLI's shebang line: `amikit` runs with them, so the measured command does too.
const { nodeFlags: CLI_NODE_FLAGS, env: CLI_ENV } = shebangCommand(CLI_PATH);
const FIXTURE_SCRIPT = join(REPO_ROOT, 'fixtures/scripts/make-debian-rootfs.sh');
const DEFAULT_TAR = join(process.env.AMIKIT_FIXTURE_CACHE ?? join(REPO_ROOT, 'fixtures/cache'), 'debian-bookworm-rootfs.tar');
// Every pipeline makes the same 2 GiB filesystem: amikit's `2GiB` and mke2fs's `2G` are both 2^31 bytes.
const IMAGE_SIZE_BYTES = 2 ** 31;
const SOURCE_DATE_EPOCH = '1747699200';
const TMPFS_MAGIC = 0x01021994;
const MIB = 1024 * 1024;

// The bars the product issue sets; ratios are amikit's median wall time over the peer's.
const BARS = [
  { peer: 'root', medium: 'tmpfs', max: 0.75, note: '' },
  { peer: 'root', medium: 'disk', max: 0.5, note: '' },
  { peer: 'fakeroot', medium: 'tmpfs', max: 0.3, note: '' },
  { peer: 'fakeroot', medium: 'disk', max: 0.3, note: '' },
  { peer: 'mke2fs-d', medium: 'tmpfs', max: 1, note: 'stretch' },
  { peer: 'mke2fs-d', medium: 'disk', max: 1, note: 'stretch' },
];
const RSS_BAR_MIB = 256;

const USAGE = `usage: node test/bench/build.mjs [--runs N] [--warmup N] [--medium tmpfs|disk|both] [--tar PATH]
                               [--disk-dir DIR] [--pipelines amikit,root,fakeroot,mke2fs-d] [--profile] [--json]
  (or: npm run bench -- OPTIONS, which builds dist/ first)`;

function parseOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        runs: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '1' },
        medium: { type: 'string', default: 'both' },
        tar: { type: 'string', default: DEFAULT_TAR },
        'disk-dir': { type: 'string' },
        pipelines: { type: 'string', default: 'amikit,root,fakeroot,mke2fs-d' },
        profile: { type: 'boolean', default: false },
        'profile-top': { type: 'string', default: '15' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    usageError(error.message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const profileTop = Number(values['profile-top']);
  if (![runs, warmup, profileTop].every(Number.isInteger) || runs < 1 || warmup < 0 || profileTop < 1) {
    usageError('--runs, --profile-top must be integers ≥ 1 and --warmup ≥ 0');
  }
  const media = { tmpfs: ['tmpfs'], disk: ['disk'], both: ['tmpfs', 'disk'] }[values.medium];
  if (!media) usageError(`--medium must be tmpfs, disk or both, not '${values.medium}'`);
  const pipelineIds = values.pipelines.split(',').filter(Boolean);
  const unknown = pipelineIds.filter((id) => !PIPELINES.some((pipeline) => pipeline.id === id));
  if (unknown.length) usageError(`unknown pipeline(s) ${unknown.join(', ')}`);
  return {
    runs,
    warmup,
    media,
    tarPath: resolve(values.tar),
    diskDir: values['disk-dir'],
    pipelineIds,
    profile: values.profile,
    profileTop,
    json: values.json,
  };
}

function usageError(message) {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

// The chain a root user runs today: extract with everything GNU tar can keep, then let mke2fs copy the tree.
// Paths and tool locations arrive as positional arguments, so nothing needs shell quoting.
const EXTRACT_AND_MKE2FS =
  'mkdir "$1" && "$4" -xpf "$2" --numeric-owner --xattrs --xattrs-include="*" --acls -C "$1" && "$5" -q -t ext4 -d "$1" -F "$3" 2G';

const PIPELINES = [
  {
    id: 'amikit',
    label: 'amikit build',
    tools: [],
    argv: (ctx, run) => [process.execPath, ...CLI_NODE_FLAGS, CLI_PATH, 'build', '--layer', ctx.tarPath, '-o', run.image, '--size', '2GiB', '--seed', 'bench'],
  },
  {
    id: 'root',
    label: 'root: tar -xp + mke2fs -d',
    tools: ['tar', 'mke2fs'],
    argv: (ctx, run) => ['sh', '-c', EXTRACT_AND_MKE2FS, 'sh', run.tree, ctx.tarPath, run.image, ctx.tools.tar, ctx.tools.mke2fs],
  },
  {
    id: 'fakeroot',
    label: 'fakeroot: same chain',
    tools: ['fakeroot', 'tar', 'mke2fs'],
    argv: (ctx, run) => [
      ctx.tools.fakeroot, '--', 'sh', '-c', EXTRACT_AND_MKE2FS, 'sh', run.tree, ctx.tarPath, run.image, ctx.tools.tar, ctx.tools.mke2fs,
    ],
  },
  {
    id: 'mke2fs-d',
    label: 'mke2fs -d alone (tree ready)',
    tools: ['tar', 'mke2fs'],
    needsExtractedTree: true,
    argv: (ctx, run) => [ctx.tools.mke2fs, '-q', '-t', 'ext4', '-d', ctx.extractedTree, '-F', run.image, '2G'],
  },
];

const log = (options, line) => {
  // Progress goes to stderr so `--json` keeps stdout machine-readable.
  if (!options.json || process.stderr.isTTY) process.stderr.write(`${line}\n`);
};

/** Directory for the medium's work: a fresh temp dir on tmpfs, or on a real (non-tmpfs) filesystem. */
function mediumParent(medium, options) {
  if (medium === 'tmpfs') {
    if (!existsSync('/dev/shm') || statfsSync('/dev/shm').type !== TMPFS_MAGIC) throw new Error('/dev/shm is not a tmpfs');
    return '/dev/shm';
  }
  const candidates = options.diskDir ? [options.diskDir] : [tmpdir(), dirname(options.tarPath)];
  const parent = candidates.find((dir) => existsSync(dir) && statfsSync(dir).type !== TMPFS_MAGIC);
  if (!parent) throw new Error(`no disk-backed directory among ${candidates.join(', ')} (give --disk-dir)`);
  return parent;
}

function ensureTar(options) {
  if (existsSync(options.tarPath)) return;
  if (options.tarPath !== DEFAULT_TAR) throw new Error(`${options.tarPath}: no such tar`);
  // The fixture is ~90 s of debootstrap and needs root; build it once, as the tests would in CI.
  log(options, `bench: ${options.tarPath} missing; building it with ${FIXTURE_SCRIPT}`);
  const result = spawnSync('bash', [FIXTURE_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0 || !existsSync(options.tarPath)) throw new Error('building the Debian rootfs fixture failed (needs root)');
}

const workDirs = new Set();
function removeWorkDirs() {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  workDirs.clear();
}

/** Facts that show the images are comparable: size, blocks and inodes in use, and e2fsck's verdict. */
function inspectImage(imagePath, tools) {
  const stat = statSync(imagePath);
  const facts = { sizeBytes: stat.size, allocatedBytes: stat.blocks * 512 };
  if (tools.dumpe2fs) {
    const header = spawnSync(tools.dumpe2fs, ['-h', imagePath], { encoding: 'utf8' }).stdout ?? '';
    const field = (name) => Number(header.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
    const blockSize = field('Block size');
    facts.usedBlocksBytes = (field('Block count') - field('Free blocks')) * blockSize;
    facts.usedInodes = field('Inode count') - field('Free inodes');
    facts.inodeCount = field('Inode count');
    facts.features = header.match(/^Filesystem features:\s+(.*)$/m)?.[1]?.trim() ?? null;
  }
  if (tools.e2fsck) {
    const fsck = spawnSync(tools.e2fsck, ['-fn', imagePath], { encoding: 'utf8' });
    facts.e2fsckClean = fsck.status === 0;
  }
  return facts;
}

async function runPipeline(pipeline, ctx, state) {
  const runDir = mkdtempSync(join(ctx.dir, `run-${pipeline.id}-`));
  const run = { image: join(runDir, 'root.img'), tree: join(runDir, 'root') };
  try {
    // Each run starts from the same state: earlier writeback flushed, and on disk a cold page cache.
    if (ctx.medium === 'disk' && state.dropCaches) dropCaches();
    else syncAll();
    const measured = await runMeasured(pipeline.argv(ctx, run), {
      env: { ...process.env, SOURCE_DATE_EPOCH, ...(pipeline.id === 'amikit' ? CLI_ENV : {}) },
      reader: state.reader,
    });
    // mke2fs fsyncs its image and amikit does not (yet): the time to write back the rest is kept
    // apart, so "wall" is what a user waits for and "wall + flush" is the time until it is durable.
    const flushStarted = process.hrtime.bigint();
    syncFilesystemOf(runDir);
    measured.flushSec = Number(process.hrtime.bigint() - flushStarted) / 1e9;
    if (measured.exitCode !== 0) {
      const why = measured.signal ? `signal ${measured.signal}` : `exit ${measured.exitCode}`;
      // The last line is the tool's own error; the tail before it goes to the progress log.
      const tail = measured.output.trim().split('\n').slice(-12);
      throw Object.assign(new Error(`${pipeline.label} failed (${why}): ${tail.at(-1) ?? ''}`), { tail: tail.join('\n') });
    }
    if (!existsSync(run.image)) throw new Error(`${pipeline.label} left no image`);
    if (!state.images[pipeline.id]) state.images[pipeline.id] = { medium: ctx.medium, ...inspectImage(run.image, state.tools) };
    return measured;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function benchMedium(medium, pipelines, options, state) {
  const dir = mkdtempSync(join(mediumParent(medium, options), 'amikit-bench-'));
  workDirs.add(dir);
  try {
    const ctx = { medium, dir, tools: state.tools, tarPath: join(dir, 'layer.tar'), extractedTree: join(dir, 'tree') };
    log(options, `bench: ${medium}: copying the tar into ${dir}`);
    // Input on the same medium as the output, so the medium is what is measured.
    copyFileSync(options.tarPath, ctx.tarPath);
    if (pipelines.some((pipeline) => pipeline.needsExtractedTree)) {
      log(options, `bench: ${medium}: extracting the tree that mke2fs -d alone reads`);
      const extract = spawnSync('sh', ['-c', 'mkdir "$1" && "$3" -xpf "$2" --numeric-owner --xattrs --xattrs-include="*" --acls -C "$1"', 'sh', ctx.extractedTree, ctx.tarPath, state.tools.tar], {
        encoding: 'utf8',
      });
      if (extract.status !== 0) throw new Error(`extracting ${ctx.tarPath} failed: ${extract.stderr}`);
    }
    const results = Object.fromEntries(pipelines.map((pipeline) => [pipeline.id, []]));
    const failures = {};
    const rounds = options.warmup + options.runs;
    for (let round = 0; round < rounds; round += 1) {
      const counted = round >= options.warmup;
      // Rotating the order each round spreads any position effect (warm CPU, background writeback) evenly.
      const order = pipelines.map((_, index) => pipelines[(index + round) % pipelines.length]);
      for (const pipeline of order) {
        if (failures[pipeline.id]) continue;
        const tag = counted ? `run ${round - options.warmup + 1}/${options.runs}` : `warm-up ${round + 1}/${options.warmup}`;
        try {
          const measured = await runPipeline(pipeline, ctx, state);
          if (counted) results[pipeline.id].push({ round, ...measured, output: undefined });
          log(options, `bench: ${medium} ${tag} ${pipeline.id.padEnd(8)} ${measured.wallSec.toFixed(2)} s (flush ${measured.flushSec.toFixed(2)} s, peak ${formatRss(measured.peakRssKiB)})`);
        } catch (error) {
          failures[pipeline.id] = error.message;
          log(options, `bench: ${medium} ${tag} ${pipeline.id}: ${error.message}${error.tail ? `\n${error.tail}` : ''}`);
        }
      }
    }
    return { medium, dir: dirname(dir), results, failures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    workDirs.delete(dir);
  }
}

/** One amikit build under `node --cpu-prof` on tmpfs, summarised by self time. */
async function profileAmikit(options, state) {
  const dir = mkdtempSync(join(mediumParent('tmpfs', options), 'amikit-bench-profile-'));
  workDirs.add(dir);
  try {
    const tarPath = join(dir, 'layer.tar');
    copyFileSync(options.tarPath, tarPath);
    const profileDir = join(dir, 'profile');
    const image = join(dir, 'root.img');
    log(options, 'bench: profiling one amikit build (node --cpu-prof, tmpfs)');
    const measured = await runMeasured(
      [process.execPath, ...CLI_NODE_FLAGS, '--cpu-prof', '--cpu-prof-dir', profileDir, CLI_PATH, 'build', '--layer', tarPath, '-o', image, '--size', '2GiB', '--seed', 'bench'],
      { env: { ...process.env, SOURCE_DATE_EPOCH, ...CLI_ENV }, reader: state.reader },
    );
    if (measured.exitCode !== 0) throw new Error(`profiled amikit build failed:\n${measured.output}`);
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('node --cpu-prof wrote no profile');
    const summary = summarizeCpuProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')), {
      top: options.profileTop,
      root: REPO_ROOT,
    });
    return { wallSec: measured.wallSec, ...summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    workDirs.delete(dir);
  }
}

function formatRss(kib) {
  return kib === null || kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`;
}

function statsOf(runs) {
  const flushSec = summarize(runs.map((run) => run.flushSec));
  return {
    wallSec: summarize(runs.map((run) => run.wallSec)),
    durableSec: summarize(runs.map((run) => run.wallSec + run.flushSec)),
    flushSec,
    cpuSec: summarize(runs.map((run) => (run.userSec === null ? null : run.userSec + run.sysSec))),
    peakRssKiB: summarize(runs.map((run) => run.peakRssKiB)),
  };
}

/** amikit / peer: ratio of medians (judged), and the median of same-round ratios (robust to drift). */
function ratioOf(amikitRuns, peerRuns) {
  const amikit = summarize(amikitRuns.map((run) => run.wallSec)).median;
  const peer = summarize(peerRuns.map((run) => run.wallSec)).median;
  if (amikit === null || peer === null) return null;
  const peerByRound = new Map(peerRuns.map((run) => [run.round, run.wallSec]));
  const paired = summarize(amikitRuns.filter((run) => peerByRound.has(run.round)).map((run) => run.wallSec / peerByRound.get(run.round)));
  const durable = (runs) => summarize(runs.map((run) => run.wallSec + run.flushSec)).median;
  return { ofMedians: amikit / peer, paired, durableOfMedians: durable(amikitRuns) / durable(peerRuns) };
}

function buildReport(options, state, mediumResults, profile) {
  const media = {};
  const verdicts = [];
  let amikitPeakKiB = null;
  for (const { medium, dir, results, failures } of mediumResults) {
    const pipelines = {};
    for (const [id, runs] of Object.entries(results)) {
      pipelines[id] = { label: PIPELINES.find((pipeline) => pipeline.id === id).label, runs, ...statsOf(runs), failed: failures[id] ?? null };
    }
    const ratios = {};
    for (const peer of ['root', 'fakeroot', 'mke2fs-d']) {
      if (results.amikit?.length && results[peer]?.length) ratios[peer] = ratioOf(results.amikit, results[peer]);
    }
    media[medium] = { parentDir: dir, pipelines, ratios };
    for (const bar of BARS.filter((candidate) => candidate.medium === medium)) {
      const ratio = ratios[bar.peer];
      if (!ratio) continue;
      verdicts.push({ what: `amikit / ${bar.peer}`, medium, value: ratio.ofMedians, bar: bar.max, note: bar.note, pass: ratio.ofMedians <= bar.max });
    }
    const peak = pipelines.amikit?.peakRssKiB.max;
    if (peak !== null && peak !== undefined) amikitPeakKiB = Math.max(amikitPeakKiB ?? 0, peak);
  }
  if (amikitPeakKiB !== null) {
    verdicts.push({ what: 'amikit peak RSS MiB', medium: 'all', value: amikitPeakKiB / 1024, bar: RSS_BAR_MIB, note: '', pass: amikitPeakKiB / 1024 <= RSS_BAR_MIB });
  }
  return {
    input: { tar: options.tarPath, sizeBytes: statSync(options.tarPath).size },
    imageSizeBytes: IMAGE_SIZE_BYTES,
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, root: process.getuid?.() === 0 },
    runs: options.runs,
    warmup: options.warmup,
    pageCache: !options.media.includes('disk')
      ? 'n/a (tmpfs only)'
      : state.dropCaches
        ? 'synced and dropped before every disk run (cold cache)'
        : 'not dropped (drop_caches not writable): disk runs are warm-cache',
    // Other work on the machine shows up in the spread; the load average says whether there was any.
    loadAverage: { start: state.loadAtStart, end: loadavg().map((value) => Number(value.toFixed(2))) },
    rusage: state.reader?.name ?? null,
    media,
    images: state.images,
    verdicts,
    profile,
  };
}

function printReport(report) {
  const out = [];
  const secs = (stat) => (stat.median === null ? 'n/a' : `${stat.median.toFixed(2)} [${stat.min.toFixed(2)}–${stat.max.toFixed(2)}]`);
  out.push(`amikit build vs peers: ${report.input.tar} (${(report.input.sizeBytes / MIB).toFixed(0)} MiB) → 2 GiB ext4 image`);
  out.push(`${report.runs} runs after ${report.warmup} warm-up, order rotated each round; seconds as median [min–max]`);
  out.push(`page cache: ${report.pageCache}; CPU and peak RSS from ${report.rusage ?? 'nothing (no GNU time or python3)'}`);
  out.push(`machine: ${report.machine.cpus} cores, ${report.machine.memoryGiB} GiB, node ${report.machine.node}${report.machine.root ? ', as root' : ', not root'}; load average ${report.loadAverage.start.join(' ')} at start, ${report.loadAverage.end.join(' ')} at end`);
  out.push('');
  const header = ['medium', 'pipeline', 'wall s', 'wall+flush s', 'cpu s', 'peak RSS'];
  const rows = [];
  for (const [medium, data] of Object.entries(report.media)) {
    for (const [id, pipeline] of Object.entries(data.pipelines)) {
      if (pipeline.failed && !pipeline.runs.length) {
        rows.push([medium, pipeline.label, `FAILED: ${pipeline.failed.split('\n')[0]}`, '', '', '']);
        continue;
      }
      rows.push([
        medium,
        pipeline.label,
        secs(pipeline.wallSec),
        pipeline.durableSec.median === null ? 'n/a' : pipeline.durableSec.median.toFixed(2),
        pipeline.cpuSec.median === null ? 'n/a' : pipeline.cpuSec.median.toFixed(2),
        formatRss(pipeline.peakRssKiB.max),
      ]);
      void id;
    }
  }
  out.push(...table(header, rows));
  out.push('');
  const ratioRows = [];
  for (const [medium, data] of Object.entries(report.media)) {
    for (const [peer, ratio] of Object.entries(data.ratios)) {
      if (!ratio) continue;
      const bar = BARS.find((candidate) => candidate.peer === peer && candidate.medium === medium);
      const verdict = bar ? `${ratio.ofMedians <= bar.max ? 'PASS' : 'MISS'} (bar ≤ ${bar.max.toFixed(2)}${bar.note ? `, ${bar.note}` : ''})` : '';
      const paired = ratio.paired.median === null ? 'n/a' : `${ratio.paired.median.toFixed(2)} [${ratio.paired.min.toFixed(2)}–${ratio.paired.max.toFixed(2)}]`;
      ratioRows.push([medium, `amikit / ${data.pipelines[peer].label}`, ratio.ofMedians.toFixed(2), paired, ratio.durableOfMedians.toFixed(2), verdict]);
    }
  }
  if (ratioRows.length) out.push(...table(['medium', 'ratio', 'of medians', 'same-round', 'wall+flush', 'bar'], ratioRows), '');
  const rss = report.verdicts.find((verdict) => verdict.what === 'amikit peak RSS MiB');
  if (rss) out.push(`amikit peak RSS ${rss.value.toFixed(0)} MiB: ${rss.pass ? 'PASS' : 'MISS'} (bar ≤ ${RSS_BAR_MIB} MiB)`, '');
  const imageRows = Object.entries(report.images).map(([id, facts]) => [
    id,
    `${(facts.sizeBytes / 2 ** 30).toFixed(2)} GiB`,
    `${(facts.allocatedBytes / MIB).toFixed(0)} MiB`,
    facts.usedBlocksBytes === undefined ? 'n/a' : `${(facts.usedBlocksBytes / MIB).toFixed(0)} MiB`,
    facts.usedInodes === undefined ? 'n/a' : `${facts.usedInodes} / ${facts.inodeCount}`,
    facts.e2fsckClean === undefined ? 'n/a' : facts.e2fsckClean ? 'clean' : 'ERRORS',
  ]);
  if (imageRows.length) {
    out.push('images (first run of each pipeline):');
    out.push(...table(['pipeline', 'size', 'allocated', 'fs blocks used', 'inodes used', 'e2fsck -fn'], imageRows), '');
    // Feature flags decide how much metadata each tool writes: list any difference from mke2fs's choice.
    const reference = report.images['mke2fs-d'] ?? report.images.root ?? report.images.fakeroot;
    for (const [id, facts] of Object.entries(report.images)) {
      if (!reference?.features || !facts.features || facts === reference) continue;
      const mine = new Set(facts.features.split(/\s+/));
      const theirs = new Set(reference.features.split(/\s+/));
      const extra = [...mine].filter((feature) => !theirs.has(feature));
      const missing = [...theirs].filter((feature) => !mine.has(feature));
      if (extra.length || missing.length) {
        out.push(`features of ${id} vs mke2fs: ${[...extra.map((f) => `+${f}`), ...missing.map((f) => `-${f}`)].join(' ')}`);
      }
    }
    if (reference?.features) out.push(`mke2fs features: ${reference.features}`, '');
    const sizes = new Set(Object.values(report.images).map((facts) => facts.sizeBytes));
    if (sizes.size > 1 || !sizes.has(report.imageSizeBytes)) out.push('WARNING: images differ in size; the comparison is not like for like', '');
  }
  if (report.profile) {
    out.push(`profile of one amikit build on tmpfs (${report.profile.wallSec.toFixed(2)} s wall):`);
    out.push(...formatCpuProfileSummary(report.profile), '');
  }
  console.log(out.join('\n'));
}

function table(header, rows) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells) => cells.map((cell, column) => String(cell).padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

async function main() {
  const options = parseOptions();
  const pipelines = PIPELINES.filter((pipeline) => options.pipelineIds.includes(pipeline.id));
  if (pipelines.some((pipeline) => pipeline.id === 'amikit') || options.profile) {
    if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} missing: run \`npm run build\` (or \`npm run bench\`)`);
  }
  const tools = Object.fromEntries(['tar', 'mke2fs', 'fakeroot', 'dumpe2fs', 'e2fsck'].map((name) => [name, findTool(name)]));
  for (const pipeline of pipelines) {
    const missing = pipeline.tools.filter((name) => !tools[name]);
    if (missing.length) throw new Error(`${pipeline.label} needs ${missing.join(', ')} (apt-get install ${missing.includes('fakeroot') ? 'fakeroot ' : ''}e2fsprogs tar)`);
  }
  ensureTar(options);
  const state = {
    loadAtStart: loadavg().map((value) => Number(value.toFixed(2))),
    tools,
    reader: rusageReader(),
    dropCaches: options.media.includes('disk') && canDropCaches(),
    images: {},
  };
  if (process.getuid?.() !== 0) log(options, 'bench: not root: the root chain cannot keep owners or security xattrs');
  const mediumResults = [];
  for (const medium of options.media) mediumResults.push(await benchMedium(medium, pipelines, options, state));
  const profile = options.profile ? await profileAmikit(options, state) : null;
  const report = buildReport(options, state, mediumResults, profile);
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  // A benchmark reports; it never fails on a missed bar. A pipeline that could not run is an error, though.
  const failed = mediumResults.some((result) => Object.keys(result.failures).length);
  process.exitCode = failed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    removeWorkDirs();
    process.exit(130);
  });
}

main().catch((error) => {
  removeWorkDirs();
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
