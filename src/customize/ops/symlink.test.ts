import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { symlink } from './symlink.js';

describe('symlink', () => {
  it('creates or replaces links like ln -sfT, and refuses to replace a directory', async () => {
    const tree = makeTree({ '/etc/resolv.conf': 'nameserver 1.1.1.1\n', '/opt/dir': { dir: true } });
    const values = { symlink: ['../run/systemd/resolve/stub-resolv.conf:/etc/resolv.conf', '/opt/app-1.2:/opt/current/app'] };
    await runOps([symlink], tree, values);
    const link = tree.lookup('/etc/resolv.conf');
    expect(link?.kind === 'symlink' && link.target.toString()).toBe('../run/systemd/resolve/stub-resolv.conf');
    expect(tree.lookup('/opt/current/app')?.kind).toBe('symlink');
    await expectIdempotent(symlink, tree, values);
    await expect(runOps([symlink], tree, { symlink: ['x:/opt/dir'] })).rejects.toMatchObject({ code: 'INPUT_UNSAFE' });
  });
});
