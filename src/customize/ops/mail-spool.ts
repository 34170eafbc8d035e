// Removes local mailboxes (virt-sysprep mail-spool): mail delivered on the build host is not the instance's.
import type { CustomizeOperation } from '../operation.js';

export const mailSpool: CustomizeOperation = {
  name: 'mail-spool',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove local mailboxes',
  description: 'Removes everything inside `/var/spool/mail` and `/var/mail` (often one is a symlink to the other); the directories stay.',
  options: [],
  async apply(_tree, { edit }) {
    edit.removeChildren('/var/spool/mail');
    edit.removeChildren('/var/mail');
  },
};
