// Resets the machine ID so every instance generates its own: /etc/machine-id becomes an empty 0444 file
// (systemd machine-id(5): empty means "generate at boot"), and dbus's copy becomes a link to it.
import type { CustomizeOperation } from '../operation.js';

export const machineId: CustomizeOperation = {
  name: 'machine-id',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'empty /etc/machine-id so each instance generates its own',
  description:
    '`/etc/machine-id` becomes an empty file, mode 0444, root-owned (created when the image has systemd). Never regenerated afterwards (virt-sysprep\'s customize step writes a new shared ID back). A regular-file `/var/lib/dbus/machine-id` becomes a symlink to `/etc/machine-id`, because systemd would otherwise copy that old ID back.',
  options: [],
  async apply(_tree, { edit }) {
    const current = edit.lookup('/etc/machine-id');
    const hasSystemd = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].some((path) => edit.resolve(path)?.node);
    if (current?.kind === 'symlink') edit.remove('/etc/machine-id', 'symlink replaced by an empty file');
    if (current || hasSystemd) {
      if (edit.lookup('/etc') === undefined) return;
      edit.writeFile('/etc/machine-id', Buffer.alloc(0), { mode: 0o444, uid: 0, gid: 0 }, { force: true });
    }
    if (edit.lookup('/var/lib/dbus/machine-id')?.kind === 'file') {
      edit.remove('/var/lib/dbus/machine-id');
      edit.symlink('/var/lib/dbus/machine-id', '/etc/machine-id');
    }
  },
};
