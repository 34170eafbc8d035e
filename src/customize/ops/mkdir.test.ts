import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { mkdir } from './mkdir.js';

describe('mkdir', () => {
  it('creates directories and parents root 0755, following in-image symlinks', async () => {
    const tree = makeTree({ '/var/run': { link: '/run' }, '/run': { dir: true } });
    const values = { mkdir: ['/srv/app/data', '/var/run/app'] };
    await runOps([mkdir], tree, values);
    expect(tree.dir('/srv/app/data')?.meta).toMatchObject({ mode: 0o755, uid: 0 });
    expect(tree.dir('/run/app')).toBeDefined();
    expect(tree.lookup('/var/run')?.kind).toBe('symlink');
    await expectIdempotent(mkdir, tree, values);
  });

  it('refuses a file in the way', async () => {
    await expect(runOps([mkdir], makeTree({ '/srv': 'file' }), { mkdir: ['/srv/x'] })).rejects.toMatchObject({ code: 'INPUT_UNSAFE' });
  });
});
