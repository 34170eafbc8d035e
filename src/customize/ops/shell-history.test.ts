import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { shellHistory } from './shell-history.js';

describe('shell-history', () => {
  it('removes histories in /root, /home/* and passwd homes under /home', async () => {
    const tree = makeTree({
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nsvc:x:998:998::/home/deep/svc:/bin/sh\n',
      '/root/.bash_history': 'ls\n',
      '/home/admin/.zsh_history': 'ls\n',
      '/home/admin/.local/share/fish/fish_history': 'ls\n',
      '/home/admin/.bashrc': 'keep\n',
      '/home/deep/svc/.python_history': 'x\n',
    });
    await runOps([shellHistory], tree);
    expect(tree.lookup('/root/.bash_history')).toBeUndefined();
    expect(tree.lookup('/home/admin/.zsh_history')).toBeUndefined();
    expect(tree.lookup('/home/admin/.local/share/fish/fish_history')).toBeUndefined();
    expect(tree.lookup('/home/deep/svc/.python_history')).toBeUndefined();
    expect(tree.lookup('/home/admin/.bashrc')).toBeDefined();
    await expectIdempotent(shellHistory, tree);
  });
});
