// `amikit register --snapshot ID --name NAME`: an AMI from a completed EBS snapshot, waited for; prints its id.
import { AmikitError } from '../../shared/errors.js';
import type { Command } from '../command.js';
import { AMI_OPTIONS, amiSettingsFrom, copyToFrom, finishAmiJob, ifExistsFrom } from './ami-options.js';

export const registerCommand: Command = {
  name: 'register',
  summary: 'register an AMI from an EBS snapshot with explicit defaults, wait until it is available, print its id',
  usage: 'amikit register --snapshot SNAP_ID --name NAME [--architecture x86_64|arm64] [--boot-mode uefi] [--tpm v2.0] [--tag K=V ...] [--launch-permission ACCOUNT ...] [--copy-to REGION ...] [--if-exists fail|reuse] [--json]',
  options: [{ name: 'snapshot', type: 'string', valueName: 'SNAP_ID', help: 'the completed snapshot of the root volume (required)' }, ...AMI_OPTIONS],
  details: [
    'Defaults, all stated in the request: hvm, x86_64, ENA on, SR-IOV simple, root /dev/xvda on gp3 deleted',
    'on termination, boot mode uefi, IMDSv2 required. Tags go on the image and the snapshot. An image of the',
    'same name makes the command fail unless --if-exists reuse. Any failure deregisters the image (and copies)',
    'it made and exits 1; the snapshot is left as it was.',
  ].join('\n'),
  async run(context) {
    const snapshotId = context.values.snapshot as string | undefined;
    if (snapshotId === undefined) throw new AmikitError('USAGE', 'register: --snapshot is required');
    if (!/^snap-[0-9a-f]{8}([0-9a-f]{9})?$/.test(snapshotId)) throw new AmikitError('USAGE', `invalid --snapshot '${snapshotId}': not a snapshot id (snap-…)`);
    const settings = amiSettingsFrom(context, 'register', 'x86_64');
    const copyTo = copyToFrom(context);
    const ifExists = ifExistsFrom(context);
    const [{ createAwsClients }, { registerSnapshot }] = await Promise.all([import('../../aws/aws-clients.js'), import('../../pipeline/register-snapshot.js')]);
    const clients = createAwsClients({ env: context.env });
    const others: { destroy(): void }[] = [];
    const controller = new AbortController();
    const region = await clients.ec2.config.region();
    const registering = registerSnapshot({
      ec2: clients.ec2,
      region,
      ec2For: (target) => {
        const other = createAwsClients({ env: context.env, region: target });
        others.push(other);
        return other.ec2;
      },
      snapshotId,
      settings: { ...settings, architecture: settings.architecture ?? 'x86_64' },
      ifExists,
      copyTo,
      signal: controller.signal,
      onProgress: context.progress,
      onWarning: context.warn,
    });
    return finishAmiJob(context, registering, controller, () => [clients, ...others]);
  },
};
