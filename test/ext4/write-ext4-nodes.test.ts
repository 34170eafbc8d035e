// Every node type, boundary file sizes, links, modes, owners and times: e2fsck (-fn and -fp) finds
// nothing, and debugfs reads back exactly the tree that was written.
import { describe, expect, it } from 'vitest';
import { e2fsck } from '../support/e2fsprogs.js';
import { compareTrees, readImageTreeWithDebugfs } from '../support/tree-facts.js';
import { toolSkipReason } from '../support/tools.js';
import { buildImage, expectedFacts } from './ext4-harness.js';
import { allKindsTree } from './fixture-trees.js';

describe.skipIf(toolSkipReason('e2fsck', 'debugfs'))('every node type', () => {
  for (const compat of [false, true]) {
    it(`is e2fsck-clean and reads back through debugfs${compat ? ' (compat profile)' : ''}`, async () => {
      const tree = allKindsTree();
      const { path, result } = await buildImage(tree, { compat });
      const check = await e2fsck(path, 'check');
      expect(check.clean, check.output).toBe(true);
      expect((await e2fsck(path, 'preen')).clean).toBe(true);
      const differences = compareTrees(await expectedFacts(tree), await readImageTreeWithDebugfs(path), {
        ignore: (p) => p.startsWith('/lost+found'),
      });
      expect(differences).toEqual([]);
      expect(result.features.includes('metadata_csum')).toBe(!compat);
    });
  }

  it('reports progress: data then metadata, each ending at its total', async () => {
    const events: { phase: string; doneBytes: number; totalBytes: number }[] = [];
    await buildImage(allKindsTree(), { onProgress: (event) => events.push(event) });
    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(['data', 'metadata']);
    const lastData = events.filter((e) => e.phase === 'data').at(-1)!;
    expect(lastData.doneBytes).toBe(lastData.totalBytes);
    expect(lastData.totalBytes).toBeGreaterThan(128 * 1024 * 1024);
    const lastMeta = events.at(-1)!;
    expect(lastMeta.doneBytes).toBe(lastMeta.totalBytes);
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.phase === events[i - 1]!.phase) expect(events[i]!.doneBytes).toBeGreaterThanOrEqual(events[i - 1]!.doneBytes);
    }
  });
});
