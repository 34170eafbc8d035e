// Removes downloaded packages and package-manager caches (apt, dnf, yum, zypper, apk, pacman) and the
// rpm/yum per-host state virt-sysprep removes (rpm-db __db.*, yum uuid); directories stay.
import type { CustomizeOperation } from '../operation.js';
import type { ImageEditor } from '../image-editor.js';

const CACHE_DIRS = ['/var/cache/apt', '/var/cache/dnf', '/var/cache/yum', '/var/cache/zypp', '/var/cache/libdnf5', '/var/cache/apk', '/var/cache/pacman/pkg'];
const STATE_GLOBS = ['/var/lib/rpm/__db.*', '/var/lib/yum/uuid'];

function removeFilesBelow(edit: ImageEditor, dir: string): void {
  for (const entry of edit.list(dir)) {
    if (entry.node.kind === 'dir') removeFilesBelow(edit, entry.path);
    else edit.remove(entry.path);
  }
}

export const packageCaches: CustomizeOperation = {
  name: 'package-caches',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove package-manager caches and downloaded packages',
  description: `Removes every non-directory below ${CACHE_DIRS.map((p) => `\`${p}\``).join(', ')} (directories kept, as package managers expect them), and ${STATE_GLOBS.map((p) => `\`${p}\``).join(', ')}. Package lists in \`/var/lib/apt/lists\` stay.`,
  options: [],
  async apply(_tree, { edit }) {
    for (const dir of CACHE_DIRS) removeFilesBelow(edit, dir);
    for (const pattern of STATE_GLOBS) for (const path of edit.glob(pattern)) edit.remove(path);
  },
};
