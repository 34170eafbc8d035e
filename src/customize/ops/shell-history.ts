// Removes shell and REPL histories from every home directory (virt-sysprep only knew bash and zsh in
// /root and /home/*; here every passwd home under /home or /root and more shells).
import type { CustomizeOperation } from '../operation.js';
import { joinChild } from '../image-editor.js';
import { homeDirectories } from '../passwd.js';

const HISTORY_FILES = [
  '.bash_history',
  '.zsh_history',
  '.sh_history',
  '.ash_history',
  '.history',
  '.local/share/fish/fish_history',
  '.python_history',
  '.node_repl_history',
  '.mysql_history',
  '.psql_history',
  '.sqlite_history',
  '.rediscli_history',
  '.lesshst',
  '.viminfo',
  '.wget-hsts',
];

export const shellHistory: CustomizeOperation = {
  name: 'shell-history',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove shell and REPL histories from every home directory',
  description: `In \`/root\`, every \`/home/*\` and every passwd home under them, removes ${HISTORY_FILES.map((p) => `\`${p}\``).join(', ')}.`,
  options: [],
  async apply(_tree, { edit }) {
    for (const home of await homeDirectories(edit)) {
      for (const name of HISTORY_FILES) edit.remove(joinChild(home, name));
    }
  },
};
