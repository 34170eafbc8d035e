import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { secretsScan } from './secrets-scan.js';

const SPEC = {
  '/etc/passwd': 'root:x:0:0::/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n',
  '/root/.ssh/id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n',
  '/root/.ssh/id_ed25519.pub': 'ssh-ed25519 AAAA x\n',
  '/home/admin/.aws/credentials': '[default]\naws_secret_access_key=x\n',
  '/home/admin/projects/tls/server.key': '-----BEGIN RSA PRIVATE KEY-----\nMII\n',
  '/home/admin/notes.txt': 'hello\n',
};

describe('secrets-scan', () => {
  it('reports private keys and credential files without removing them by default', async () => {
    const tree = makeTree(SPEC);
    const report = await runOps([secretsScan], tree);
    expect(report.warnings).toHaveLength(3);
    expect(report.warnings.join('\n')).toMatch(/\/home\/admin\/\.aws\/credentials[\s\S]*server\.key[\s\S]*\/root\/\.ssh\/id_ed25519 /);
    expect(tree.lookup('/root/.ssh/id_ed25519')).toBeDefined();
    await expectIdempotent(secretsScan, tree);
  });

  it('removes them with --sysprep-remove-secrets', async () => {
    const tree = makeTree(SPEC);
    await runOps([secretsScan], tree, { 'sysprep-remove-secrets': true });
    expect(tree.lookup('/root/.ssh/id_ed25519')).toBeUndefined();
    expect(tree.lookup('/home/admin/.aws/credentials')).toBeUndefined();
    expect(tree.lookup('/home/admin/projects/tls/server.key')).toBeUndefined();
    expect(tree.lookup('/root/.ssh/id_ed25519.pub')).toBeDefined();
    expect(tree.lookup('/home/admin/notes.txt')).toBeDefined();
    await expectIdempotent(secretsScan, tree, { 'sysprep-remove-secrets': true });
  });
});
