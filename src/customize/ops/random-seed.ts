// Removes saved entropy and the host credential key so clones never share them (mkosi removes the same
// files; virt-customize's habit of writing one seed into every clone is the trap).
import type { CustomizeOperation } from '../operation.js';

const SEED_FILES = [
  '/var/lib/systemd/random-seed',
  '/var/lib/systemd/credential.secret',
  '/var/lib/random-seed',
  '/var/lib/urandom/random-seed',
  '/var/lib/misc/random-seed',
  '/etc/random-seed',
];

export const randomSeed: CustomizeOperation = {
  name: 'random-seed',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove saved random seeds and the systemd credential secret',
  description: `Removes ${SEED_FILES.map((p) => `\`${p}\``).join(', ')}. Each instance seeds itself at boot; a baked seed would be shared by every clone.`,
  options: [],
  async apply(_tree, { edit }) {
    for (const path of SEED_FILES) edit.remove(path);
  },
};
