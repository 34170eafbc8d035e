// `amikit download SNAPSHOT_ID -o OUT`: a snapshot's written blocks into a sparse raw image.
import { AmikitError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/units.js';
import type { Command } from '../command.js';
import { CONCURRENCY_OPTION, concurrencyFrom } from './aws-options.js';

export const downloadCommand: Command = {
  name: 'download',
  summary: 'download an EBS snapshot into a sparse raw image (EBS direct APIs, every block checksum-verified)',
  usage: 'amikit download SNAPSHOT_ID -o OUT [--concurrency N] [--json]',
  positionals: { min: 1, max: 1 },
  options: [{ name: 'output', short: 'o', type: 'string', valueName: 'OUT', help: 'the raw image to write (written under a temporary name, renamed when complete)' }, CONCURRENCY_OPTION],
  details: [
    'The image is the volume size (whole GiB); blocks the snapshot never had stay holes. Each block is',
    'checked against the SHA-256 GetSnapshotBlock sends with it. AWS settings: as for upload.',
  ].join('\n'),
  async run(context) {
    const snapshotId = context.positionals[0]!;
    const output = context.values.output as string | undefined;
    if (!output) throw new AmikitError('USAGE', 'download: -o/--output is required');
    if (!/^snap-[0-9a-f]{8,17}$/.test(snapshotId)) throw new AmikitError('USAGE', `download: '${snapshotId}' is not a snapshot id (snap-…)`);
    const concurrency = concurrencyFrom(context);
    // Loaded on use: the AWS SDK costs every other verb a fraction of a second at start-up.
    const [{ createAwsClients }, { downloadSnapshot }] = await Promise.all([import('../../aws/aws-clients.js'), import('../../pipeline/download-snapshot.js')]);
    const clients = createAwsClients({ env: context.env });
    try {
      const result = await downloadSnapshot({
        snapshotId,
        outputPath: output,
        clients,
        ...(concurrency !== undefined ? { concurrency } : {}),
        onProgress: context.progress,
      });
      context.print(`${output}: ${result.volumeSizeGiB} GiB, ${result.blocksRead} blocks read (${formatBytes(result.blocksRead * 524288)}), ${result.retries} retries, ${result.seconds.toFixed(1)} s`);
      return result;
    } finally {
      clients.destroy();
    }
  },
};
