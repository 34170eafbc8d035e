// `--file SRC:DEST[:MODE[:UID:GID]]`: copies a host file into the image. Never the host's owner (virt-customize
// --upload leaks builder UIDs): new files are root:root with the host file's permission bits, like `cp`.
import { basename } from 'node:path';
import { AmikitError } from '../../shared/errors.js';
import { pathFromUtf8 } from '../../tree/paths.js';
import { joinChild, type Ownership } from '../image-editor.js';
import type { CustomizeOperation } from '../operation.js';
import { asList, parseId, parseOctalMode } from '../option-values.js';

export interface FileSpec {
  source: string;
  dest: string;
  ownership?: Partial<Ownership>;
}

/** Parses SRC:DEST[:MODE[:UID:GID]] (a host path containing ':' cannot be given). */
export function parseFileSpec(text: string): FileSpec {
  const parts = text.split(':');
  const fail = (why: string): never => {
    throw new AmikitError('USAGE', `--file '${text}': ${why} (expected SRC:DEST[:MODE[:UID:GID]])`);
  };
  if (parts.length !== 2 && parts.length !== 3 && parts.length !== 5) fail('wrong number of fields');
  const [source, dest, modeText, uidText, gidText] = parts as [string, string, string?, string?, string?];
  if (source === '') fail('SRC is empty');
  if (!dest.startsWith('/') || dest === '/') fail('DEST must be an absolute path below /');
  const ownership: Partial<Ownership> = {};
  if (modeText !== undefined) ownership.mode = parseOctalMode(modeText) ?? fail(`MODE '${modeText}' is not an octal mode`);
  if (uidText !== undefined) ownership.uid = parseId(uidText) ?? fail(`UID '${uidText}' is not a number`);
  if (gidText !== undefined) ownership.gid = parseId(gidText) ?? fail(`GID '${gidText}' is not a number`);
  return { source, dest, ...(modeText !== undefined ? { ownership } : {}) };
}

export const file: CustomizeOperation = {
  name: 'file',
  kind: 'inject',
  enabledByDefault: false,
  order: 30,
  summary: 'copy host files into the image with an explicit mode and owner',
  description:
    '`--file SRC:DEST[:MODE[:UID:GID]]` writes the host file SRC at DEST (into DEST when DEST ends in `/` or is a directory), creating missing parents `root:root` 0755. A new file is `root:root` with the permission bits of SRC (like `cp`: an executable stays executable; set-id and sticky bits dropped; the build host umask not applied, so the image does not depend on it) unless MODE (always octal) and UID:GID are given; an existing file keeps its mode and owner unless they are given. A symlink at DEST is followed inside the image only.',
  options: [{ flag: 'file', type: 'string', multiple: true, valueName: 'SRC:DEST[:MODE[:UID:GID]]', help: "copy host file SRC to DEST in the image (default root:root, SRC's permission bits)" }],
  validate(values) {
    for (const spec of asList(values.file)) parseFileSpec(spec);
  },
  async apply(_tree, { edit, values, readHostFile, hostFileMode, requestRelabel }) {
    for (const text of asList(values.file)) {
      const spec = parseFileSpec(text);
      const bytes = await readHostFile(spec.source, 'file');
      const ownership = spec.ownership ?? { mode: await hostFileMode(spec.source, 'file') };
      let dest = pathFromUtf8(spec.dest.replace(/\/+$/, ''));
      const existing = edit.resolve(dest, true);
      if (spec.dest.endsWith('/') || existing?.node?.kind === 'dir') {
        dest = edit.mkdirp(dest);
        dest = joinChild(dest, pathFromUtf8(basename(spec.source)));
      } else {
        edit.mkdirp(dest.slice(0, dest.lastIndexOf('/')) || '/');
      }
      // Without MODE the host mode only shapes a new file: an existing one keeps its own, as `cp` does.
      edit.writeFile(dest, bytes, ownership, { force: spec.ownership !== undefined });
      requestRelabel();
    }
  },
};
