// Removes SSH host keys (each instance must have its own) and, when nothing in the image would create new
// ones at first boot, installs a systemd unit running `ssh-keygen -A` before sshd starts.
import type { CustomizeOperation } from '../operation.js';
import type { ImageEditor } from '../image-editor.js';

export const KEYGEN_UNIT_PATH = '/etc/systemd/system/amikit-ssh-host-keys.service';
const KEYGEN_WANTS_PATH = '/etc/systemd/system/multi-user.target.wants/amikit-ssh-host-keys.service';

export const KEYGEN_UNIT = [
  '# Installed by amikit sysprep: the image had no other way to create SSH host keys at first boot.',
  '[Unit]',
  'Description=Generate missing SSH host keys (amikit)',
  'Before=ssh.service sshd.service ssh.socket sshd.socket',
  'ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key',
  '',
  '[Service]',
  'Type=oneshot',
  'ExecStart=/usr/bin/ssh-keygen -A',
  '',
  '[Install]',
  'WantedBy=multi-user.target',
  '',
].join('\n');

/** What would create host keys at first boot: cloud-init's cc_ssh, a distro keygen unit or hook, or ours. */
function regenerator(edit: ImageEditor): string | undefined {
  const exists = (path: string): boolean => edit.resolve(path)?.node !== undefined;
  if ((exists('/usr/bin/cloud-init') || exists('/etc/cloud/cloud.cfg')) && !exists('/etc/cloud/cloud-init.disabled')) return 'cloud-init';
  const candidates = [
    '/usr/lib/systemd/system/sshd-keygen@.service', // Fedora/RHEL 8+
    '/usr/lib/systemd/system/sshd-keygen.service', // RHEL 7
    '/usr/lib/systemd/system/sshdgenkeys.service', // Arch
    '/usr/sbin/sshd-gen-keys-start', // SUSE: ExecStartPre of sshd.service
    '/etc/init.d/sshd', // OpenRC (Alpine) generates keys when starting sshd
    KEYGEN_UNIT_PATH,
  ];
  return candidates.find(exists);
}

export const sshHostKeys: CustomizeOperation = {
  name: 'ssh-host-keys',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove SSH host keys; ensure they are regenerated at first boot',
  description:
    'Removes `/etc/ssh/*_host_*`. When sshd is installed and nothing would regenerate keys at first boot (cloud-init, `sshd-keygen@.service`, `sshdgenkeys.service`, SUSE `sshd-gen-keys-start`, OpenRC), installs `/etc/systemd/system/amikit-ssh-host-keys.service` (runs `ssh-keygen -A` before sshd) enabled for `multi-user.target`; on an image without systemd it warns instead.',
  options: [],
  async apply(_tree, { edit, warn }) {
    for (const path of edit.glob('/etc/ssh/*_host_*')) edit.remove(path);
    const exists = (path: string): boolean => edit.resolve(path)?.node !== undefined;
    const hasSshd = ['/usr/sbin/sshd', '/usr/bin/sshd', '/sbin/sshd'].some(exists);
    if (!hasSshd || regenerator(edit)) return;
    const hasSystemd = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].some(exists);
    if (!hasSystemd) {
      warn('sshd is installed but nothing regenerates its host keys at first boot and the image has no systemd: run `ssh-keygen -A` before sshd starts');
      return;
    }
    edit.mkdirp('/etc/systemd/system/multi-user.target.wants');
    edit.writeText(KEYGEN_UNIT_PATH, KEYGEN_UNIT, { mode: 0o644 });
    edit.symlink(KEYGEN_WANTS_PATH, KEYGEN_UNIT_PATH);
  },
};
