import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { logfiles } from './logfiles.js';

describe('logfiles', () => {
  it('removes files under /var/log and machine-id journal directories, keeps directories and symlinks', async () => {
    const tree = makeTree({
      '/var/log/syslog': 'x',
      '/var/log/apt/history.log': 'x',
      '/var/log/journal/0123456789abcdef0123456789abcdef/system.journal': 'x',
      '/var/log/journal/remote': { dir: true },
      '/var/log/README': { link: '../../usr/share/doc/systemd/README.logs' },
      '/var/lib/logrotate/status': 'x',
      '/root/anaconda-ks.cfg': 'x',
    });
    await runOps([logfiles], tree);
    expect([...tree.walk()].map((e) => e.path).filter((p) => p.startsWith('/var/log'))).toEqual(['/var/log', '/var/log/README', '/var/log/apt', '/var/log/journal', '/var/log/journal/remote']);
    expect(tree.lookup('/var/lib/logrotate/status')).toBeUndefined();
    expect(tree.lookup('/root/anaconda-ks.cfg')).toBeUndefined();
    await expectIdempotent(logfiles, tree);
  });
});
