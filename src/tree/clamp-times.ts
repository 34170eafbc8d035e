// SOURCE_DATE_EPOCH semantics (reproducible-builds.org): no timestamp in the output may be newer than the
// epoch, so times after it are clamped down to it; older times are real history and are kept.
import type { FileTree } from './file-tree.js';
import type { Node, Timespec } from './node.js';

/** Clamps every node's atime, mtime and ctime to at most `epochSec`. Returns how many nodes changed. */
export function clampTimes(tree: FileTree, epochSec: number): number {
  const limit: Timespec = { sec: epochSec, nsec: 0 };
  const seen = new Set<Node>();
  let changed = 0;
  tree.forEachNode((node) => {
    if (seen.has(node)) return;
    seen.add(node);
    const meta = node.meta;
    let touched = false;
    for (const field of ['atime', 'mtime', 'ctime'] as const) {
      const time = meta[field];
      if (time.sec > epochSec || (time.sec === epochSec && time.nsec > 0)) {
        meta[field] = limit;
        touched = true;
      }
    }
    if (touched) changed++;
  });
  return changed;
}
