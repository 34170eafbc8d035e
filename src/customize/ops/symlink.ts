// `--symlink TARGET:LINK`: makes LINK a symbolic link to TARGET (ln -sfT): an existing non-directory is
// replaced, missing parents are created.
import { AmikitError } from '../../shared/errors.js';
import { pathFromUtf8 } from '../../tree/paths.js';
import type { CustomizeOperation } from '../operation.js';
import { asList } from '../option-values.js';

function parseLinkSpec(text: string): { target: string; link: string } {
  const colon = text.lastIndexOf(':');
  const target = text.slice(0, colon);
  const link = text.slice(colon + 1);
  if (colon <= 0 || !link.startsWith('/') || link === '/' || target.includes('\0')) {
    throw new AmikitError('USAGE', `--symlink '${text}': expected TARGET:LINK with an absolute LINK`);
  }
  return { target, link };
}

export const symlink: CustomizeOperation = {
  name: 'symlink',
  kind: 'inject',
  enabledByDefault: false,
  order: 40,
  summary: 'create symbolic links (ln -sfT)',
  description: '`--symlink TARGET:LINK` makes LINK a symlink to TARGET, replacing a file or symlink there (a directory is refused); missing parents are created `root:root` 0755. TARGET is stored as given and may be relative.',
  options: [{ flag: 'symlink', type: 'string', multiple: true, valueName: 'TARGET:LINK', help: 'make LINK a symlink to TARGET (ln -sfT)' }],
  validate(values) {
    for (const spec of asList(values.symlink)) parseLinkSpec(spec);
  },
  async apply(_tree, { edit, values }) {
    for (const text of asList(values.symlink)) {
      const spec = parseLinkSpec(text);
      const link = pathFromUtf8(spec.link.replace(/\/+$/, ''));
      edit.mkdirp(link.slice(0, link.lastIndexOf('/')) || '/');
      edit.symlink(link, pathFromUtf8(spec.target));
    }
  },
};
