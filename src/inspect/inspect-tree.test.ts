import { describe, expect, it } from 'vitest';
import { makeTree, snapshot } from '../customize/op-test-harness.js';
import { inspectTree } from './inspect-tree.js';
import { parseGrubMenu } from './boot-facts.js';
import { expandKeysPath } from './user-facts.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0 someone@host\n';

function dirtyTree() {
  return makeTree({
    '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
    '/etc/hostname': '# set by installer\n\nbuildhost\n',
    '/etc/machine-id': '0123456789abcdef0123456789abcdef\n',
    '/var/lib/dbus/machine-id': '0123456789abcdef0123456789abcdef\n',
    '/usr/lib/systemd/systemd': '',
    '/etc/shells': '# valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n',
    '/etc/passwd': [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'backup:x:34:34:backup:/var/backups:/usr/sbin/nologin',
      'admin:x:1000:1000::/home/admin:/bin/bash',
      'ops:x:1001:1001::/home/ops:/bin/sh',
      'root:x:0:0:duplicate:/nowhere:/bin/sh',
      '',
    ].join('\n'),
    '/root/.ssh/authorized_keys': `# comment\n${KEY}\n${KEY}`,
    '/home/admin/.ssh/authorized_keys': KEY,
    '/home/admin/.ssh/authorized_keys2': `no-pty ${KEY}`,
    '/var/backups/.ssh/authorized_keys': KEY,
    '/etc/fstab': 'UUID=abc / ext4 defaults 0 1\n# /dev/sdb1 none swap sw 0 0\n/swapfile none swap sw 0 0\n',
    '/swapfile': 'x'.repeat(4096),
    '/etc/systemd/system/dev-sdc1.swap': '[Swap]\nWhat=/dev/sdc1\n',
    '/boot/vmlinuz-6.1.0-18-amd64': 'kernel',
    '/boot/initrd.img-6.1.0-18-amd64': 'initrd',
    '/boot/vmlinuz-6.1.0-17-amd64': 'kernel',
    '/lib': { link: 'usr/lib' },
    '/usr/lib/modules/6.1.0-18-amd64/modules.dep': '',
    '/usr/lib/modules/6.1.0-17-amd64/modules.dep': '',
    '/usr/lib/modules/6.5.0-arch/vmlinuz': 'kernel',
    '/boot/grub/grub.cfg': [
      "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {",
      '\tload_video',
      "\tif [ x$feature_all_video_module = xy ]; then",
      '\t  insmod all_video',
      '\tfi',
      '\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=abc ro quiet resume=/dev/sdb1',
      '\tinitrd\t/boot/initrd.img-6.1.0-18-amd64',
      '}',
      "submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced' {",
      "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-17-amd64' --class debian {",
      '\t\tlinux /boot/vmlinuz-6.1.0-17-amd64 root=UUID=abc ro single',
      '\t}',
      '}',
      '',
    ].join('\n'),
    '/boot/loader/entries/amikit.conf': 'title Debian 12\nversion 6.1.0-18-amd64\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=PARTUUID=x ro\noptions console=ttyS0\n',
  });
}

describe('inspectTree', () => {
  it('reports OS, hostname, machine-id, kernels, boot entries, users, keys and swap of a dirty tree', async () => {
    const tree = dirtyTree();
    const facts = await inspectTree(tree);
    expect(facts.os).toMatchObject({ id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)', source: '/etc/os-release' });
    expect(facts.hostname).toBe('buildhost');
    expect(facts.machineId).toEqual({ state: 'set', value: '0123456789abcdef0123456789abcdef', dbus: 'file' });
    expect(facts.kernels).toEqual([
      { version: '6.1.0-17-amd64', images: ['/boot/vmlinuz-6.1.0-17-amd64'], initrds: [], modules: '/usr/lib/modules/6.1.0-17-amd64' },
      { version: '6.1.0-18-amd64', images: ['/boot/vmlinuz-6.1.0-18-amd64'], initrds: ['/boot/initrd.img-6.1.0-18-amd64'], modules: '/usr/lib/modules/6.1.0-18-amd64' },
      { version: '6.5.0-arch', images: ['/usr/lib/modules/6.5.0-arch/vmlinuz'], initrds: [], modules: '/usr/lib/modules/6.5.0-arch' },
    ]);
    expect(facts.bootEntries).toEqual([
      { kind: 'bls', source: '/boot/loader/entries/amikit.conf', title: 'Debian 12', version: '6.1.0-18-amd64', linux: '/vmlinuz', initrd: ['/initrd.img'], options: 'root=PARTUUID=x ro console=ttyS0' },
      { kind: 'grub', source: '/boot/grub/grub.cfg', title: 'Debian GNU/Linux', linux: '/boot/vmlinuz-6.1.0-18-amd64', initrd: ['/boot/initrd.img-6.1.0-18-amd64'], options: 'root=UUID=abc ro quiet resume=/dev/sdb1' },
      { kind: 'grub', source: '/boot/grub/grub.cfg', title: 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-17-amd64', linux: '/boot/vmlinuz-6.1.0-17-amd64', initrd: [], options: 'root=UUID=abc ro single' },
    ]);
    expect(facts.users.map((u) => [u.name, u.loginShell, u.authorizedKeys, u.authorizedKeysFiles])).toEqual([
      ['root', true, 2, ['/root/.ssh/authorized_keys']],
      ['backup', false, 1, ['/var/backups/.ssh/authorized_keys']],
      ['admin', true, 2, ['/home/admin/.ssh/authorized_keys', '/home/admin/.ssh/authorized_keys2']],
      ['ops', true, 0, []],
    ]);
    expect(facts.swap).toEqual({
      fstab: [{ device: '/swapfile', options: 'sw' }],
      files: [{ path: '/swapfile', sizeBytes: 4096 }],
      units: ['/etc/systemd/system/dev-sdc1.swap'],
      zram: [],
    });
  });

  it('previews --sysprep on a copy: the changes are listed and the tree is left as it was', async () => {
    const tree = dirtyTree();
    const before = snapshot(tree);
    const facts = await inspectTree(tree);
    expect(snapshot(tree)).toEqual(before);
    const byOp = Object.fromEntries(facts.sysprep.operations.map((op) => [op.name, op.changes.map((c) => `${c.action} ${c.path}`)]));
    expect(byOp['machine-id']).toEqual(['modified /etc/machine-id', 'removed /var/lib/dbus/machine-id', 'created /var/lib/dbus/machine-id']);
    expect(byOp['swap']).toContain('removed /swapfile');
    expect(facts.sysprep.kernelArguments).toContain('noresume');
    expect(facts.sysprep.changes).toBe(facts.sysprep.operations.reduce((n, op) => n + op.changes.length, 0));
    // After a real sysprep the preview is empty for machine-id and swap, and the state reads "empty".
    const { customizeTree } = await import('../customize/customize-tree.js');
    await customizeTree(tree, { sysprep: 'defaults', timestampSec: 0 });
    const after = await inspectTree(tree);
    expect(after.machineId).toEqual({ state: 'empty', dbus: 'symlink' });
    expect(after.swap.fstab).toEqual([]);
    expect(after.swap.files).toEqual([]);
    expect(after.sysprep.changes).toBe(0);
  });

  it('classifies machine-id states and tolerates missing files and escaping links', async () => {
    const cases: Array<[Record<string, Parameters<typeof makeTree>[0][string]>, string]> = [
      [{}, 'absent'],
      [{ '/etc/machine-id': '' }, 'empty'],
      [{ '/etc/machine-id': 'uninitialized\n' }, 'uninitialized'],
      [{ '/etc/machine-id': 'not-an-id\n' }, 'invalid'],
      [{ '/etc/machine-id': { link: '../../../../host/etc/machine-id' } }, 'absent'],
    ];
    for (const [spec, state] of cases) expect((await inspectTree(makeTree(spec))).machineId.state).toBe(state);
    const escaping = await inspectTree(makeTree({ '/etc/passwd': { link: '../../../etc/passwd' }, '/etc/os-release': { link: '/../../x' } }));
    expect(escaping.users).toEqual([]);
    expect(escaping.os).toBeUndefined();
    expect(escaping.sysprep.error).toMatch(/leads outside the image/);
  });

  it('follows AuthorizedKeysFile from sshd_config, drop-ins first, and ignores Match blocks', async () => {
    const tree = makeTree({
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n',
      '/etc/ssh/sshd_config': 'AuthorizedKeysFile .ssh/authorized_keys\n',
      '/etc/ssh/sshd_config.d/50-keys.conf': 'Match User nobody\nAuthorizedKeysFile /nope\n',
      '/etc/ssh/sshd_config.d/10-keys.conf': '# central keys\nAuthorizedKeysFile /etc/ssh/keys/%u .ssh/authorized_keys\n',
      '/etc/ssh/keys/alice': KEY + KEY + KEY,
      '/home/alice/.ssh/authorized_keys': KEY,
      '/root/.ssh/authorized_keys2': KEY,
    });
    const users = (await inspectTree(tree)).users;
    expect(users.map((u) => [u.name, u.authorizedKeys, u.authorizedKeysFiles])).toEqual([
      ['root', 0, []],
      ['alice', 4, ['/etc/ssh/keys/alice', '/home/alice/.ssh/authorized_keys']],
    ]);
    expect(expandKeysPath('%h/.ssh/k_%u_%U_%%', 'bob', '/home/bob/', 7)).toBe('/home/bob//.ssh/k_bob_7_%');
    expect(expandKeysPath('.ssh/k', 'bob', '/home/bob/', 7)).toBe('/home/bob/.ssh/k');
    expect(expandKeysPath('%x', 'bob', '/h', 7)).toBeUndefined();
  });

  it('parses grub menus with double-quoted and bare titles and leaves evaluation alone', () => {
    const entries = parseGrubMenu('menuentry "Say \\"hi\\"" {\n linuxefi /k a=b\n initrdefi /i1 /i2\n}\nmenuentry bare {\n}\n', '/g');
    expect(entries).toEqual([
      { kind: 'grub', source: '/g', title: 'Say "hi"', linux: '/k', options: 'a=b', initrd: ['/i1', '/i2'] },
      { kind: 'grub', source: '/g', title: 'bare', initrd: [] },
    ]);
  });
});
