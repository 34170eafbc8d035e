// `--root-password-hash HASH`: sets root's password field in /etc/shadow to a crypt(3) hash made elsewhere
// (amikit never hashes); every other line stays byte-identical.
import { AmikitError } from '../../shared/errors.js';
import { editTextFile, splitLinesKeepEnds } from '../edit-text-file.js';
import type { CustomizeOperation } from '../operation.js';
import { asString } from '../option-values.js';

/** yescrypt/gost-yescrypt/scrypt, bcrypt, SHA-512, SHA-256, MD5 crypt, or a locked/disabled marker. */
const HASH = /^(!|\*|!\*|!!)?(\$(y|gy|7|2[abxy]|6|5|1)\$[./A-Za-z0-9$=,]+)?$/;

export const rootPasswordHash: CustomizeOperation = {
  name: 'root-password-hash',
  kind: 'inject',
  enabledByDefault: false,
  order: 60,
  summary: "set root's password hash in /etc/shadow",
  description: "`--root-password-hash HASH` replaces the second field of root's `/etc/shadow` line with HASH (`$y$…` yescrypt, `$6$…` SHA-512, `$5$`, `$2b$`, or `!`/`*` to lock); other lines and fields stay byte-identical. MD5 (`$1$`) is accepted with a warning. Exit 2 when the image has no root line in `/etc/shadow`.",
  options: [{ flag: 'root-password-hash', type: 'string', valueName: 'HASH', help: "crypt(3) hash for root's password (e.g. from mkpasswd -m yescrypt)" }],
  validate(values) {
    const hash = asString(values['root-password-hash']);
    if (hash !== undefined && (hash === '' || !HASH.test(hash))) {
      throw new AmikitError('USAGE', '--root-password-hash: not a crypt(3) hash ($y$, $6$, $5$, $2b$, $1$) or a lock marker (! or *)');
    }
  },
  async apply(_tree, { edit, values, warn }) {
    const hash = asString(values['root-password-hash'])!;
    if (/\$1\$/.test(hash)) warn('MD5-crypt ($1$) root password hash: weak, prefer yescrypt or SHA-512');
    let found = false;
    await editTextFile(edit, '/etc/shadow', (text) =>
      splitLinesKeepEnds(text)
        .map((line) => {
          if (!line.startsWith('root:')) return line;
          found = true;
          const fields = line.split(':');
          fields[1] = hash;
          return fields.join(':');
        })
        .join(''),
    'root password hash');
    if (!found && !(await edit.readText('/etc/shadow'))?.split('\n').some((line) => line.startsWith('root:'))) {
      throw new AmikitError('INPUT_FORMAT', '--root-password-hash: the image has no root entry in /etc/shadow');
    }
  },
};
