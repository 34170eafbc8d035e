import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { mailSpool } from './mail-spool.js';

describe('mail-spool', () => {
  it('removes mailboxes through the /var/spool/mail symlink without removing the link', async () => {
    const tree = makeTree({ '/var/mail/root': 'From x\n', '/var/mail/admin': 'From y\n', '/var/spool/mail': { link: '../mail' } });
    await runOps([mailSpool], tree);
    expect(tree.dir('/var/mail')?.children.size).toBe(0);
    expect(tree.lookup('/var/spool/mail')?.kind).toBe('symlink');
    await expectIdempotent(mailSpool, tree);
  });
});
