// `--delete PATH`: removes paths from the image like `rm -rf`, with shell-style wildcards (virt-customize
// --delete); a final symlink is removed itself, never its target.
import { AmikitError } from '../../shared/errors.js';
import { pathFromUtf8 } from '../../tree/paths.js';
import type { CustomizeOperation } from '../operation.js';
import { asList } from '../option-values.js';

export const deletePaths: CustomizeOperation = {
  name: 'delete',
  kind: 'inject',
  enabledByDefault: false,
  order: 10,
  summary: 'remove paths from the image (rm -rf, wildcards allowed)',
  description: '`--delete PATH` removes each matching entry, directories with their contents. `*`, `?` and `[…]` work in any component and `*` matches dot-files. A pattern matching nothing is a warning. Runs before the other injections, so `--delete` then `--file` replaces.',
  options: [{ flag: 'delete', type: 'string', multiple: true, valueName: 'PATH', help: 'remove PATH from the image (rm -rf; wildcards allowed)' }],
  validate(values) {
    for (const path of asList(values.delete)) {
      if (!path.startsWith('/') || path === '/') throw new AmikitError('USAGE', `--delete: '${path}' must be an absolute path below /`);
    }
  },
  async apply(_tree, { edit, values, warn }) {
    for (const pattern of asList(values.delete)) {
      const matches = edit.glob(pathFromUtf8(pattern));
      if (matches.length === 0) warn(`--delete ${pattern} matched nothing`);
      for (const path of matches) edit.remove(path);
    }
  },
};
