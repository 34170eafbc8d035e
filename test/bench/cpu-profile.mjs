// Summarises a V8 .cpuprofile (from `node --cpu-prof`) as the functions with the most self time.
// Usage: node test/bench/cpu-profile.mjs FILE.cpuprofile [TOP]   (also imported by build.mjs --profile)
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Self time per function, largest first. One function can appear as many call-tree nodes (one per
 * call path), so nodes are merged by name + script + line before ranking.
 * @returns {{ totalMs: number, entries: { functionName: string, location: string, selfMs: number, selfPercent: number }[] }}
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
  return { totalMs: totalUs / 1000, entries };
}

function describeLocation(frame, root) {
  if (!frame.url) return frame.functionName?.startsWith('(') ? '' : '(native)';
  let path = frame.url;
  if (path.startsWith('file://')) path = relative(root, fileURLToPath(path));
  // V8 lines are 0-based.
  return frame.lineNumber >= 0 ? `${path}:${frame.lineNumber + 1}` : path;
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
