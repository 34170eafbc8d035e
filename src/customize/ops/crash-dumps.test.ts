import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { crashDumps } from './crash-dumps.js';

describe('crash-dumps', () => {
  it('empties the crash and core directories', async () => {
    const tree = makeTree({ '/var/crash/_usr_bin_x.0.crash': 'x', '/var/lib/systemd/coredump/core.x.zst': 'x', '/var/spool/abrt/ccpp-1/coredump': 'x' });
    await runOps([crashDumps], tree);
    expect(tree.dir('/var/crash')?.children.size).toBe(0);
    expect(tree.dir('/var/lib/systemd/coredump')?.children.size).toBe(0);
    expect(tree.dir('/var/spool/abrt')?.children.size).toBe(0);
    await expectIdempotent(crashDumps, tree);
  });
});
