// Summarises a V8 .cpuprofile (from `node --cpu-prof`) as the functions with the most self time.
// Usage: node test/bench/cpu-profile.mjs FILE.cpuprofile [TOP]   (also imported by build.mjs --profile)
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Self time per function, largest first. One function can appear as many call-tree nodes (one per
 * call path), so nodes are merged by name + script + line before ranking.
 * @returns {{ totalMs: number, entries: { functionName: string, location: string, selfMs: number, selfPercent: number }[],
 *   files: { file: string, selfMs: number, selfPercent: number }[] }}
 */
export function summarizeCpuProfile(profile, { top = 15, root = process.cwd() } = {}) {
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUsById = new Map();
  // timeDeltas[i] is the time since the previous sample; it is billed to the node sampled at i.
  for (let index = 0; index < profile.samples.length; index += 1) {
    const id = profile.samples[index];
    selfUsById.set(id, (selfUsById.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const byFunction = new Map();
  let totalUs = 0;
  for (const [id, selfUs] of selfUsById) {
    totalUs += selfUs;
    const frame = nodeById.get(id)?.callFrame ?? {};
    const functionName = frame.functionName || '(anonymous)';
    const location = describeLocation(frame, root);
    const key = `${functionName}\0${location}`;
    const entry = byFunction.get(key) ?? { functionName, location, selfUs: 0 };
    entry.selfUs += selfUs;
    byFunction.set(key, entry);
  }
  const entries = [...byFunction.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, top)
    .map(({ functionName, location, selfUs }) => ({
      functionName,
      location,
      selfMs: selfUs / 1000,
      selfPercent: totalUs ? (100 * selfUs) / totalUs : 0,
    }));
  // The same self time rolled up by source file: which stage (merge, planner, encoders, I/O) dominates.
  const byFile = new Map();
  for (const { functionName, location, selfUs } of byFunction.values()) {
    // Entries with no script are the VM's own buckets: (idle), (garbage collector), (program).
    const file = location.replace(/:\d+$/, '') || functionName;
    byFile.set(file, (byFile.get(file) ?? 0) + selfUs);
  }
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([file, selfUs]) => ({ file, selfMs: selfUs / 1000, selfPercent: totalUs ? (100 * selfUs) / totalUs : 0 }));
  return { totalMs: totalUs / 1000, entries, files };
}

function describeLocation(frame, root) {
  if (!frame.url) return frame.functionName?.startsWith('(') ? '' : '(native)';
  if (!frame.url.startsWith('file://')) return frame.lineNumber >= 0 ? `${frame.url}:${frame.lineNumber + 1}` : frame.url;
  const file = fileURLToPath(frame.url);
  // Compiled output is named by its TypeScript source when tsc left a source map beside it.
  const original = frame.lineNumber >= 0 ? originalPosition(file, frame.lineNumber, frame.columnNumber) : undefined;
  if (original) return `${relative(root, original.file)}:${original.line}`;
  // V8 lines are 0-based.
  return frame.lineNumber >= 0 ? `${relative(root, file)}:${frame.lineNumber + 1}` : relative(root, file);
}

const sourceMaps = new Map();
function originalPosition(file, line, column) {
  if (!sourceMaps.has(file)) {
    let map;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    sourceMaps.set(file, map);
  }
  const entry = sourceMaps.get(file)?.findEntry(line, Math.max(column, 0));
  if (!entry?.originalSource) return undefined;
  return { file: resolve(dirname(file), entry.originalSource), line: entry.originalLine + 1 };
}

/** The summary as aligned text lines. */
export function formatCpuProfileSummary(summary) {
  const lines = [`self time by function (total sampled ${(summary.totalMs / 1000).toFixed(2)} s)`];
  lines.push(`${'self ms'.padStart(9)} ${'%'.padStart(6)}  function  location`);
  for (const entry of summary.entries) {
    lines.push(
      `${entry.selfMs.toFixed(1).padStart(9)} ${entry.selfPercent.toFixed(1).padStart(6)}  ${entry.functionName}  ${entry.location}`,
    );
  }
  if (summary.files?.length) {
    lines.push('', `${'self ms'.padStart(9)} ${'%'.padStart(6)}  file`);
    for (const file of summary.files) {
      lines.push(`${file.selfMs.toFixed(1).padStart(9)} ${file.selfPercent.toFixed(1).padStart(6)}  ${file.file}`);
    }
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, topText] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node test/bench/cpu-profile.mjs FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  const summary = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')), { top: Number(topText ?? 15) });
  console.log(formatCpuProfileSummary(summary).join('\n'));
}
