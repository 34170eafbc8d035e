// Empties /tmp and /var/tmp, dot-files included; the directories themselves keep their mode (1777).
import type { CustomizeOperation } from '../operation.js';

export const tmpFiles: CustomizeOperation = {
  name: 'tmp-files',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'empty /tmp and /var/tmp',
  description: 'Removes everything inside `/tmp` and `/var/tmp`, dot-files and subdirectories included; the directories stay with their mode and owner.',
  options: [],
  async apply(_tree, { edit }) {
    edit.removeChildren('/tmp');
    edit.removeChildren('/var/tmp');
  },
};
