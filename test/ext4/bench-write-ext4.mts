// Throughput probe for the ext4 writer (not a test): loads a layer into a tree, then writes it as ext4
// to a sparse file and prints time, MiB/s of stored data and peak RSS of the whole process.
// Usage: npx vite-node test/ext4/bench-write-ext4.mts <layer.tar> <out.img>
import { open } from 'node:fs/promises';
import { loadTree } from '../../src/pipeline/load-tree.js';
import { planExt4 } from '../../src/ext4/plan-ext4.js';
import { writePlannedExt4 } from '../../src/ext4/write-ext4.js';

const [layer, output] = process.argv.slice(2);
if (!layer || !output) throw new Error('usage: bench-write-ext4.mts <layer.tar> <out.img>');
const t0 = performance.now();
const loaded = await loadTree({ layers: [layer] });
if (process.env['STRIP_XATTRS'] === '1') for (const { node } of loaded.tree.walk()) node.meta.xattrs = new Map();
const t1 = performance.now();
const rssAfterLoadMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
const peakAfterLoadMiB = Math.round(process.resourceUsage().maxRSS / 1024);
const options = { timestampSec: 1_700_000_000, seed: 'bench' };
const plan = planExt4(loaded.tree, options);
const t2 = performance.now();
const handle = await open(output, 'w+');
await handle.truncate(plan.sizeBytes);
const phases: Record<string, number> = {};
const result = await writePlannedExt4(plan, { handle, offsetBytes: 0 }, {
  onProgress: (e) => {
    phases[`${e.phase}${e.doneBytes === e.totalBytes ? 'Done' : 'First'}Ms`] ??= Math.round(performance.now() - t2);
  },
});
await handle.close();
const t3 = performance.now();
await loaded.close();
const storedMiB = plan.storedDataBytes / 2 ** 20;
console.log(
  JSON.stringify({
    loadMs: Math.round(t1 - t0),
    planMs: Math.round(t2 - t1),
    writeMs: Math.round(t3 - t2),
    storedMiB: Math.round(storedMiB),
    writeMiBps: Math.round(storedMiB / ((t3 - t2) / 1000)),
    inodes: result.inodesUsed,
    sizeMiB: result.sizeBytes / 2 ** 20,
    writtenRanges: result.writtenMap.length,
    ...phases,
    rssAfterLoadMiB,
    peakAfterLoadMiB,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
