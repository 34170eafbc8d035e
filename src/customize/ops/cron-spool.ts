// Removes user crontabs and pending at jobs (virt-sysprep cron-spool); at's .SEQ job counters are reset
// to "00000\n" in place rather than removed, because atd needs them.
import type { CustomizeOperation } from '../operation.js';
import type { ImageEditor } from '../image-editor.js';

const SPOOL_DIRS = ['/var/spool/cron', '/var/spool/at', '/var/spool/atjobs', '/var/spool/atspool'];

function clearSpool(edit: ImageEditor, dir: string): void {
  for (const entry of edit.list(dir)) {
    if (entry.node.kind === 'dir') clearSpool(edit, entry.path);
    else if (entry.name === '.SEQ' && entry.node.kind === 'file') edit.writeText(entry.path, '00000\n');
    else edit.remove(entry.path);
  }
}

export const cronSpool: CustomizeOperation = {
  name: 'cron-spool',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove user crontabs and pending at jobs',
  description: `Removes every non-directory below ${SPOOL_DIRS.map((p) => `\`${p}\``).join(', ')} (directories kept), except at's \`.SEQ\` counters, which are reset to \`00000\`.`,
  options: [],
  async apply(_tree, { edit }) {
    for (const dir of SPOOL_DIRS) clearSpool(edit, dir);
  },
};
