import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { cronSpool } from './cron-spool.js';

describe('cron-spool', () => {
  it('removes crontabs and at jobs, resets .SEQ counters in place', async () => {
    const tree = makeTree({
      '/var/spool/cron/crontabs/admin': '* * * * * x\n',
      '/var/spool/cron/root': '* * * * * y\n',
      '/var/spool/cron/atjobs/.SEQ': '0002a\n',
      '/var/spool/cron/atjobs/a0001': 'job',
      '/var/spool/at/spool/x': 'y',
    });
    await runOps([cronSpool], tree);
    expect([...tree.walk()].filter((e) => e.node.kind === 'file').map((e) => e.path)).toEqual(['/var/spool/cron/atjobs/.SEQ']);
    expect(textAt(tree, '/var/spool/cron/atjobs/.SEQ')).toBe('00000\n');
    expect(tree.dir('/var/spool/cron/crontabs')).toBeDefined();
    await expectIdempotent(cronSpool, tree);
  });
});
