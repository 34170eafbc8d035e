import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { credential, parseCredentialSpec } from './credential.js';

describe('credential', () => {
  it('writes credentials 0600 into a 0700 /etc/credstore', async () => {
    const tree = makeTree({ '/etc/os-release': 'x' });
    const values = { credential: ['ssh.authorized_keys.root=/h/keys'] };
    const hostFiles = { '/h/keys': 'ssh-ed25519 AAAA k\n' };
    await runOps([credential], tree, values, { hostFiles });
    expect(tree.lookup('/etc/credstore')?.meta).toMatchObject({ mode: 0o700, uid: 0 });
    expect(tree.lookup('/etc/credstore/ssh.authorized_keys.root')?.meta).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(textAt(tree, '/etc/credstore/ssh.authorized_keys.root')).toBe('ssh-ed25519 AAAA k\n');
    await expectIdempotent(credential, tree, values, { hostFiles });
  });

  it('refuses names that are not file names', () => {
    expect(() => parseCredentialSpec('../x=/f')).toThrow(/NAME=FILE/);
    expect(() => parseCredentialSpec('a/b=/f')).toThrow();
    expect(parseCredentialSpec('passwd.hashed-password.root=/f')).toEqual({ name: 'passwd.hashed-password.root', file: '/f' });
  });
});
