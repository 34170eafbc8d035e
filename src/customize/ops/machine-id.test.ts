import { describe, expect, it } from 'vitest';
import { changes, expectIdempotent, makeTree, runOps, snapshot, textAt } from '../op-test-harness.js';
import { machineId } from './machine-id.js';

describe('machine-id', () => {
  it('empties /etc/machine-id (0444 root) and links the dbus copy to it', async () => {
    const tree = makeTree({ '/etc/machine-id': { text: '0123456789abcdef0123456789abcdef\n', mode: 0o644, uid: 5 }, '/var/lib/dbus/machine-id': '0123456789abcdef0123456789abcdef\n' });
    const report = await runOps([machineId], tree);
    expect(textAt(tree, '/etc/machine-id')).toBe('');
    expect(tree.lookup('/etc/machine-id')?.meta).toMatchObject({ mode: 0o444, uid: 0, gid: 0 });
    const dbus = tree.lookup('/var/lib/dbus/machine-id');
    expect(dbus?.kind === 'symlink' && dbus.target.toString()).toBe('/etc/machine-id');
    expect(changes(report)).toEqual(['modified /etc/machine-id', 'removed /var/lib/dbus/machine-id', 'created /var/lib/dbus/machine-id']);
    await expectIdempotent(machineId, tree);
  });

  it('creates an empty one on a systemd image without it, and leaves other images alone', async () => {
    const systemd = makeTree({ '/usr/lib/systemd/systemd': 'ELF', '/etc/os-release': 'ID=x\n' });
    await runOps([machineId], systemd);
    expect(textAt(systemd, '/etc/machine-id')).toBe('');
    const plain = makeTree({ '/etc/os-release': 'ID=alpine\n' });
    const before = snapshot(plain);
    await runOps([machineId], plain);
    expect(snapshot(plain)).toEqual(before);
  });

  it('replaces a symlinked machine-id instead of writing through it', async () => {
    const tree = makeTree({ '/etc/machine-id': { link: '/opt/id' }, '/opt/id': 'abc\n' });
    await runOps([machineId], tree);
    expect(tree.lookup('/etc/machine-id')?.kind).toBe('file');
    expect(textAt(tree, '/opt/id')).toBe('abc\n');
  });
});
