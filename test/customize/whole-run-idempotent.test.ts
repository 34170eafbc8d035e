// The whole customisation (every default strip operation plus injections) run twice on the dirty fixture:
// the second run changes nothing, so re-customising an already customised image is safe.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDirtyRootfsTar } from '../../fixtures/customize/dirty-rootfs.js';
import { customizeTree } from '../../src/customize/customize-tree.js';
import { snapshot } from '../../src/customize/op-test-harness.js';
import { loadTree } from '../../src/pipeline/load-tree.js';
import { tempDir } from '../support/tools.js';

describe('customisation as a whole', () => {
  it('is idempotent on the dirty rootfs', async () => {
    const dir = (await tempDir('customize-twice')).path;
    const layer = join(dir, 'dirty.tar');
    await writeFile(layer, buildDirtyRootfsTar());
    const loaded = await loadTree({ layers: [layer] });
    try {
      const key = 'ssh-ed25519 ' + Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]).toString('base64') + ' k\n';
      const options = {
        sysprep: 'all',
        values: { 'sysprep-remove-secrets': true, 'ssh-key': ['root=/k', 'admin=/k'], hostname: 'web1', param: ['A=1'], timezone: undefined },
        readHostFile: async () => Buffer.from(key),
        timestampSec: 1_700_000_000,
      };
      const first = await customizeTree(loaded.tree, options);
      expect(first.operations.reduce((n, op) => n + op.changes.length, 0)).toBeGreaterThan(40);
      const before = snapshot(loaded.tree);
      const second = await customizeTree(loaded.tree, options);
      expect(snapshot(loaded.tree)).toEqual(before);
      expect(second.operations.flatMap((op) => op.changes.map((c) => `${op.name}: ${c.action} ${c.path}`))).toEqual([]);
    } finally {
      await loaded.close();
    }
  });
});
