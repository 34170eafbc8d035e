import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { deletePaths } from './delete.js';

describe('delete', () => {
  it('removes paths and glob matches (rm -rf), a symlink itself and not its target, and warns on no match', async () => {
    const tree = makeTree({ '/etc/a.conf': 'a', '/etc/b.conf': 'b', '/etc/keep': 'k', '/opt/tree/x/y': 'y', '/link': { link: '/etc/keep' } });
    const values = { delete: ['/etc/*.conf', '/opt/tree', '/link', '/nothing*'] };
    const report = await runOps([deletePaths], tree, values);
    expect([...tree.walk()].map((e) => e.path)).toEqual(['/', '/etc', '/etc/keep', '/opt']);
    expect(report.warnings).toEqual(['delete: --delete /nothing* matched nothing']);
    await expectIdempotent(deletePaths, tree, values);
  });
});
