// Removes the marker files container runtimes leave in an exported root filesystem; software checks them
// to decide it runs in a container (systemd-detect-virt, many scripts test /.dockerenv).
import type { CustomizeOperation } from '../operation.js';

const MARKERS = ['/.dockerenv', '/.containerenv', '/run/.containerenv', '/run/.dockerenv'];

export const containerLeftovers: CustomizeOperation = {
  name: 'container-leftovers',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'remove container-runtime markers such as /.dockerenv',
  description: `Removes ${MARKERS.map((p) => `\`${p}\``).join(', ')}. The placeholder \`/etc/hostname\` and \`/etc/hosts\` of a container export are handled by \`hostname-reset\`.`,
  options: [],
  async apply(_tree, { edit }) {
    for (const path of MARKERS) edit.remove(path);
  },
};
