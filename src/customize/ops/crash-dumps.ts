// Removes crash dumps and core files (kdump, systemd-coredump, abrt, apport): large, and full of the build
// host's memory.
import type { CustomizeOperation } from '../operation.js';

const DUMP_DIRS = ['/var/crash', '/var/log/dump', '/var/lib/systemd/coredump', '/var/spool/abrt', '/var/lib/apport/coredump', '/var/tmp/abrt'];

export const crashDumps: CustomizeOperation = {
  name: 'crash-dumps',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove crash dumps and core files',
  description: `Empties ${DUMP_DIRS.map((p) => `\`${p}\``).join(', ')} (directories kept).`,
  options: [],
  async apply(_tree, { edit }) {
    for (const dir of DUMP_DIRS) edit.removeChildren(dir);
  },
};
