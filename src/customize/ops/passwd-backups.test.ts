import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { passwdBackups } from './passwd-backups.js';

describe('passwd-backups', () => {
  it('removes the - backups and keeps the databases', async () => {
    const tree = makeTree({ '/etc/passwd': 'p', '/etc/passwd-': 'p', '/etc/shadow-': 's', '/etc/group-': 'g', '/etc/gshadow-': 'g', '/etc/subuid-': 'u' });
    await runOps([passwdBackups], tree);
    expect([...tree.walk()].map((e) => e.path)).toEqual(['/', '/etc', '/etc/passwd']);
    await expectIdempotent(passwdBackups, tree);
  });
});
