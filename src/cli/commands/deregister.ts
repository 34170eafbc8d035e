// `amikit deregister AMI_ID [--delete-snapshots]`: removes an AMI (and, if asked, the snapshots it used).
import { AmikitError } from '../../shared/errors.js';
import type { Command } from '../command.js';

export const deregisterCommand: Command = {
  name: 'deregister',
  summary: 'deregister an AMI; --delete-snapshots also deletes the EBS snapshots it mapped',
  usage: 'amikit deregister AMI_ID [--delete-snapshots] [--json]',
  positionals: { min: 1, max: 1 },
  options: [{ name: 'delete-snapshots', type: 'boolean', help: 'delete the snapshots of the image\'s block device mappings after deregistering it' }],
  async run(context) {
    const imageId = context.positionals[0]!;
    if (!/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(imageId)) throw new AmikitError('USAGE', `invalid AMI_ID '${imageId}': not an image id (ami-…)`);
    const [{ createAwsClients }, { deregisterImage }] = await Promise.all([import('../../aws/aws-clients.js'), import('../../pipeline/deregister-image.js')]);
    const clients = createAwsClients({ env: context.env });
    try {
      const result = await deregisterImage({ ec2: clients.ec2, imageId, deleteSnapshots: context.values['delete-snapshots'] === true });
      context.print(`${imageId} deregistered${result.deletedSnapshotIds.length > 0 ? `; deleted ${result.deletedSnapshotIds.join(' ')}` : ''}`);
      return result;
    } finally {
      clients.destroy();
    }
  },
};
