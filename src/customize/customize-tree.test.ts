import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customizeTree, planCustomization } from './customize-tree.js';
import { makeTree, textAt } from './op-test-harness.js';

const ED25519 = (() => {
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 9)]);
  return `ssh-ed25519 ${blob.toString('base64')} k`;
})();

describe('customisation driver', () => {
  it('runs stripping before injection, so injected state survives (no virt-sysprep machine-id bug)', async () => {
    const tree = makeTree({ '/etc/passwd': 'root:x:0:0::/root:/bin/sh\n', '/root/.ssh/authorized_keys': 'old\n', '/etc/machine-id': 'abc\n', '/tmp/x': 'x' });
    const plan = planCustomization({ sysprep: 'defaults', values: { 'ssh-key': ['root=/k.pub'], file: ['/k.pub:/tmp/keep'] } });
    const names = plan.operations.map((op) => op.name);
    expect(names.indexOf('tmp-files')).toBeLessThan(names.indexOf('file'));
    expect(names.at(-1)).toBe('ssh-authorized-keys');
    const report = await customizeTree(tree, { sysprep: 'defaults', values: { 'ssh-key': ['root=/k.pub'], file: ['/k.pub:/tmp/keep'] }, readHostFile: async () => Buffer.from(ED25519), statHostFile: async () => ({ mode: 0o100644 }) });
    expect(textAt(tree, '/etc/machine-id')).toBe('');
    expect(textAt(tree, '/tmp/keep')).toBe(ED25519);
    expect(textAt(tree, '/root/.ssh/authorized_keys')).toBe(`old\n${ED25519}\n`);
    expect(report.kernelArguments).toEqual(['noresume']);
  });

  it('refuses a flag of an operation that will not run, and bad flag syntax, before touching the tree', () => {
    expect(() => planCustomization({ values: { 'sysprep-remove-secrets': true } })).toThrow(/belongs to the 'secrets-scan' operation, which is not enabled/);
    expect(() => planCustomization({ sysprep: 'defaults,-secrets-scan', values: { 'sysprep-remove-secrets': true } })).toThrow(/not enabled/);
    expect(() => planCustomization({ values: { 'ssh-key': ['nouser'] } })).toThrow(/USER=PUBKEYFILE/);
    expect(planCustomization({}).operations).toEqual([]);
  });

  it('uses the newest input mtime for created inodes when no timestamp is given', async () => {
    const tree = makeTree({ '/etc/hostname': 'x\n' });
    await customizeTree(tree, { values: { hostname: 'box' } });
    expect(tree.lookup('/etc/hosts')?.meta.mtime.sec).toBe(1000);
  });

  it('--file without MODE reads the permission bits of the real host file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amikit-file-mode-'));
    try {
      const script = join(dir, 'run.sh');
      await writeFile(script, '#!/bin/sh\n');
      await chmod(script, 0o4750);
      const tree = makeTree({ '/etc/hostname': 'x\n' });
      await customizeTree(tree, { values: { file: [`${script}:/usr/local/bin/run`] } });
      expect(tree.lookup('/usr/local/bin/run')?.meta).toMatchObject({ mode: 0o750, uid: 0, gid: 0 });
      await expect(customizeTree(tree, { values: { file: [`${join(dir, 'absent')}:/x`] } })).rejects.toMatchObject({ message: expect.stringMatching(/^--file: /) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
