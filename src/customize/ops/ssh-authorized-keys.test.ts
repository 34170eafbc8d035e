import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { parsePublicKeyFile, sshAuthorizedKeys } from './ssh-authorized-keys.js';

/** A syntactically valid ed25519 public key blob: string "ssh-ed25519" + 32-byte key. */
function ed25519(seed: number, comment = 'user@host'): string {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), key]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1001:Admin:/home/admin:/bin/bash\n';

describe('ssh-authorized-keys', () => {
  it('creates ~/.ssh 0700 and authorized_keys 0600 owned by the user, appending each key once', async () => {
    const tree = makeTree({ '/etc/passwd': PASSWD, '/home/admin': { dir: true, uid: 1000, gid: 1001 }, '/root': { dir: true, mode: 0o700 } });
    const hostFiles = { '/k/a.pub': `${ed25519(1)}\n${ed25519(1)}\n`, '/k/b.pub': `# comment\n${ed25519(2)}` };
    const values = { 'ssh-key': ['admin=/k/a.pub', 'admin=/k/b.pub', 'root=/k/b.pub'] };
    await runOps([sshAuthorizedKeys], tree, values, { hostFiles });
    expect(tree.lookup('/home/admin/.ssh')?.meta).toMatchObject({ mode: 0o700, uid: 1000, gid: 1001 });
    expect(tree.lookup('/home/admin/.ssh/authorized_keys')?.meta).toMatchObject({ mode: 0o600, uid: 1000, gid: 1001 });
    expect(textAt(tree, '/home/admin/.ssh/authorized_keys')).toBe(`${ed25519(1)}\n${ed25519(2)}\n`);
    expect(textAt(tree, '/root/.ssh/authorized_keys')).toBe(`${ed25519(2)}\n`);
    expect(tree.lookup('/root/.ssh')?.meta).toMatchObject({ mode: 0o700, uid: 0, gid: 0 });
    await expectIdempotent(sshAuthorizedKeys, tree, values, { hostFiles });
  });

  it('appends to an existing file without a final newline and skips keys already there', async () => {
    const existing = `command="echo hi" ${ed25519(1, 'old')}`;
    const tree = makeTree({ '/etc/passwd': PASSWD, '/home/admin/.ssh': { dir: true, mode: 0o700, uid: 1000, gid: 1001 }, '/home/admin/.ssh/authorized_keys': { text: existing, mode: 0o600, uid: 1000, gid: 1001 } });
    await runOps([sshAuthorizedKeys], tree, { 'ssh-key': ['admin=/a.pub'] }, { hostFiles: { '/a.pub': `${ed25519(1)}\n${ed25519(3)}\n` } });
    expect(textAt(tree, '/home/admin/.ssh/authorized_keys')).toBe(`${existing}\n${ed25519(3)}\n`);
    expect(tree.lookup('/home/admin/.ssh/authorized_keys')?.meta).toMatchObject({ mode: 0o600, uid: 1000, gid: 1001 });
  });

  it('gives an existing ~/.ssh and authorized_keys owned by root or group-writable to the user, 0700 and 0600, and reports it', async () => {
    // As left by a layer that ran `mkdir ~admin/.ssh` as root with a 002 umask: sshd's StrictModes would refuse the key.
    const tree = makeTree({
      '/etc/passwd': PASSWD,
      '/home/admin': { dir: true, uid: 1000, gid: 1001 },
      '/home/admin/.ssh': { dir: true, mode: 0o775, uid: 0, gid: 0 },
      '/home/admin/.ssh/authorized_keys': { text: `${ed25519(1)}\n`, mode: 0o664, uid: 0, gid: 0 },
    });
    const values = { 'ssh-key': ['admin=/a.pub'] };
    const hostFiles = { '/a.pub': ed25519(1) };
    const report = await runOps([sshAuthorizedKeys], tree, values, { hostFiles });
    expect(tree.lookup('/home/admin/.ssh')?.meta).toMatchObject({ mode: 0o700, uid: 1000, gid: 1001 });
    expect(tree.lookup('/home/admin/.ssh/authorized_keys')?.meta).toMatchObject({ mode: 0o600, uid: 1000, gid: 1001 });
    expect(textAt(tree, '/home/admin/.ssh/authorized_keys')).toBe(`${ed25519(1)}\n`);
    expect(report.operations.flatMap((op) => op.changes)).toEqual([
      { action: 'modified', path: '/home/admin/.ssh', detail: 'mode 0775 -> 0700, owner 0:0 -> 1000:1001' },
      { action: 'modified', path: '/home/admin/.ssh/authorized_keys', detail: 'mode 0664 -> 0600, owner 0:0 -> 1000:1001' },
    ]);
    await expectIdempotent(sshAuthorizedKeys, tree, values, { hostFiles });
  });

  it('labels ssh_home_t on SELinux images with a policy, and asks for /.autorelabel without one', async () => {
    const selinux = { '/etc/passwd': PASSWD, '/root': { dir: true }, '/etc/selinux/config': 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' } as const;
    const labelled = makeTree({ ...selinux, '/etc/selinux/targeted/contexts/files/file_contexts': '/root/\\.ssh(/.*)?\tsystem_u:object_r:ssh_home_t:s0\n' });
    await runOps([sshAuthorizedKeys], labelled, { 'ssh-key': ['root=/a.pub'] }, { hostFiles: { '/a.pub': ed25519(1) } });
    for (const path of ['/root/.ssh', '/root/.ssh/authorized_keys']) {
      expect(labelled.lookup(path)?.meta.xattrs.get('security.selinux')?.toString()).toBe('system_u:object_r:ssh_home_t:s0\0');
    }
    expect(labelled.lookup('/.autorelabel')).toBeUndefined();
    const unlabelled = makeTree(selinux);
    await runOps([sshAuthorizedKeys], unlabelled, { 'ssh-key': ['root=/a.pub'] }, { hostFiles: { '/a.pub': ed25519(1) } });
    expect(unlabelled.lookup('/.autorelabel')?.kind).toBe('file');
    const plain = makeTree({ '/etc/passwd': PASSWD, '/root': { dir: true } });
    await runOps([sshAuthorizedKeys], plain, { 'ssh-key': ['root=/a.pub'] }, { hostFiles: { '/a.pub': ed25519(1) } });
    expect(plain.lookup('/.autorelabel')).toBeUndefined();
  });

  it('follows a symlinked ~/.ssh inside the image and refuses one leading outside', async () => {
    const inside = makeTree({ '/etc/passwd': PASSWD, '/root/.ssh': { link: '../srv/keys' }, '/srv/keys': { dir: true, mode: 0o700 } });
    await runOps([sshAuthorizedKeys], inside, { 'ssh-key': ['root=/a.pub'] }, { hostFiles: { '/a.pub': ed25519(1) } });
    expect(textAt(inside, '/srv/keys/authorized_keys')).toBe(`${ed25519(1)}\n`);
    const escaping = makeTree({ '/etc/passwd': PASSWD, '/root/.ssh': { link: '../../../../home/builder/.ssh' } });
    await expect(runOps([sshAuthorizedKeys], escaping, { 'ssh-key': ['root=/a.pub'] }, { hostFiles: { '/a.pub': ed25519(1) } })).rejects.toMatchObject({
      code: 'INPUT_UNSAFE',
      message: expect.stringMatching(/\/root\/\.ssh -> \.\.\/\.\.\/\.\.\/\.\.\/home\/builder\/\.ssh leads outside the image/),
    });
  });

  it('refuses unknown users, malformed keys and private keys', async () => {
    const tree = makeTree({ '/etc/passwd': PASSWD, '/root': { dir: true } });
    await expect(runOps([sshAuthorizedKeys], tree, { 'ssh-key': ['bob=/a.pub'] }, { hostFiles: { '/a.pub': ed25519(1) } })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/user 'bob' does not exist/) });
    expect(() => parsePublicKeyFile('ssh-ed25519 not-base64!\n', 'k.pub')).toThrow(/k\.pub:1: not an OpenSSH public key line/);
    expect(() => parsePublicKeyFile('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\n', 'k.pub')).toThrow(/not an OpenSSH public key/);
    expect(() => parsePublicKeyFile('\n# only a comment\n', 'k.pub')).toThrow(/no public key/);
    expect(() => parsePublicKeyFile('-----BEGIN OPENSSH PRIVATE KEY-----\n', 'id')).toThrow(/private key; give the \.pub/);
    expect(parsePublicKeyFile(`from="10.0.0.0/8,host name" ${ed25519(4)}\n`, 'k.pub')).toHaveLength(1);
  });
});
