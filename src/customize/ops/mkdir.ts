// `--mkdir DIR`: creates a directory and its missing parents (mkdir -p), root-owned 0755.
import { AmikitError } from '../../shared/errors.js';
import { pathFromUtf8 } from '../../tree/paths.js';
import type { CustomizeOperation } from '../operation.js';
import { asList } from '../option-values.js';

export const mkdir: CustomizeOperation = {
  name: 'mkdir',
  kind: 'inject',
  enabledByDefault: false,
  order: 20,
  summary: 'create directories (mkdir -p)',
  description: '`--mkdir DIR` creates DIR and missing parents, `root:root` 0755; existing directories are left as they are. Symlinked parents are followed inside the image only.',
  options: [{ flag: 'mkdir', type: 'string', multiple: true, valueName: 'DIR', help: 'create DIR and its missing parents (root:root 0755)' }],
  validate(values) {
    for (const path of asList(values.mkdir)) {
      if (!path.startsWith('/')) throw new AmikitError('USAGE', `--mkdir: '${path}' must be an absolute path`);
    }
  },
  async apply(_tree, { edit, values, requestRelabel }) {
    for (const path of asList(values.mkdir)) {
      edit.mkdirp(pathFromUtf8(path));
      requestRelabel();
    }
  },
};
