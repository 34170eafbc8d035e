// Removes the "-" backups shadow-utils leaves of the account databases: they keep old password hashes
// and accounts that were deleted on purpose.
import type { CustomizeOperation } from '../operation.js';

const BACKUPS = ['/etc/passwd-', '/etc/shadow-', '/etc/group-', '/etc/gshadow-', '/etc/subuid-', '/etc/subgid-'];

export const passwdBackups: CustomizeOperation = {
  name: 'passwd-backups',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove backups of passwd, shadow, group and gshadow',
  description: `Removes ${BACKUPS.map((p) => `\`${p}\``).join(', ')}.`,
  options: [],
  async apply(_tree, { edit }) {
    for (const path of BACKUPS) edit.remove(path);
  },
};
