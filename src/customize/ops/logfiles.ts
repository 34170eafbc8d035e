// Removes logs and the journal written while the image was prepared (virt-sysprep logfiles, widened to
// every file under /var/log): the directory structure and symlinks stay, packages expect the directories.
import type { CustomizeOperation } from '../operation.js';
import type { ImageEditor } from '../image-editor.js';

const EXTRA_FILES = [
  '/var/lib/logrotate/status',
  '/var/lib/logrotate.status',
  '/root/anaconda-ks.cfg',
  '/root/anaconda-post.log',
  '/root/initial-setup-ks.cfg',
  '/root/original-ks.cfg',
  '/root/install.log',
  '/root/install.log.syslog',
  '/var/account/pacct',
];

function removeLogFiles(edit: ImageEditor, dir: string): void {
  for (const entry of edit.list(dir)) {
    if (entry.node.kind === 'dir') {
      // Journal directories are named after the old machine ID: remove them whole.
      if (dir.endsWith('/journal') && /^[0-9a-f]{32}$/.test(entry.name)) edit.remove(entry.path);
      else removeLogFiles(edit, entry.path);
    } else if (entry.node.kind !== 'symlink') {
      edit.remove(entry.path);
    }
  }
}

export const logfiles: CustomizeOperation = {
  name: 'logfiles',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove log files and the systemd journal',
  description: `Removes every regular file (and fifo/socket) under \`/var/log\`, recursively, keeping directories and symlinks; journal directories named by a machine ID go whole. Also removes ${EXTRA_FILES.map((p) => `\`${p}\``).join(', ')}.`,
  options: [],
  async apply(_tree, { edit }) {
    const logDir = edit.resolve('/var/log');
    if (logDir?.node?.kind === 'dir') removeLogFiles(edit, logDir.path);
    for (const path of EXTRA_FILES) edit.remove(path);
  },
};
