import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { tmpFiles } from './tmp-files.js';

describe('tmp-files', () => {
  it('empties /tmp and /var/tmp, dot-files included, keeping the sticky directories', async () => {
    const tree = makeTree({ '/tmp': { dir: true, mode: 0o1777 }, '/tmp/.X11-unix/X0': 'x', '/tmp/a': 'x', '/var/tmp/systemd-private-1/tmp/f': 'x' });
    await runOps([tmpFiles], tree);
    expect(tree.dir('/tmp')?.children.size).toBe(0);
    expect(tree.dir('/tmp')?.meta.mode).toBe(0o1777);
    expect(tree.dir('/var/tmp')?.children.size).toBe(0);
    await expectIdempotent(tmpFiles, tree);
  });
});
