// `--cloud-init-user-data FILE`: cloud-config baked as a /etc/cloud/cloud.cfg.d drop-in (merged with EC2
// user-data, so safe on AMIs); `--cloud-init-nocloud` writes a NoCloud seed instead, for local test boots.
import { createHash } from 'node:crypto';
import { AmikitError } from '../../shared/errors.js';
import type { CustomizeOperation } from '../operation.js';
import { asString } from '../option-values.js';

export const USER_DATA_DROP_IN = '/etc/cloud/cloud.cfg.d/99-amikit-user-data.cfg';
export const NOCLOUD_SEED_DIR = '/var/lib/cloud/seed/nocloud';

export const cloudInitUserData: CustomizeOperation = {
  name: 'cloud-init-user-data',
  kind: 'inject',
  enabledByDefault: false,
  order: 80,
  summary: 'bake cloud-init user-data as a cloud.cfg.d drop-in or a NoCloud seed',
  description:
    "`--cloud-init-user-data FILE` (which must start with `#cloud-config`) becomes `/etc/cloud/cloud.cfg.d/99-amikit-user-data.cfg`, `root:root` 0600, merged by cloud-init with the instance's own user-data. With `--cloud-init-nocloud` the file (any user-data format) goes to `/var/lib/cloud/seed/nocloud/user-data` with a `meta-data` (`instance-id: amikit-<sha256 prefix of the user-data>`, `local-hostname` from `--hostname`), and a warning: a NoCloud seed comes before Ec2 in cloud-init's datasource list and shadows EC2 metadata.",
  options: [
    { flag: 'cloud-init-user-data', type: 'string', valueName: 'FILE', help: 'cloud-config to bake in as a cloud.cfg.d drop-in' },
    { flag: 'cloud-init-nocloud', type: 'boolean', help: 'write the user-data as a NoCloud seed instead (local test boots; shadows EC2 metadata)' },
  ],
  validate(values) {
    if (values['cloud-init-nocloud'] === true && asString(values['cloud-init-user-data']) === undefined) {
      throw new AmikitError('USAGE', '--cloud-init-nocloud needs --cloud-init-user-data FILE');
    }
  },
  async apply(_tree, { edit, values, readHostFile, warn, requestRelabel }) {
    const source = asString(values['cloud-init-user-data'])!;
    const bytes = await readHostFile(source, 'cloud-init-user-data');
    if (edit.resolve('/etc/cloud')?.node?.kind !== 'dir') warn('cloud-init is not installed in the image (no /etc/cloud); the user-data will have no effect');
    if (values['cloud-init-nocloud'] === true) {
      warn('a NoCloud seed shadows EC2 metadata (NoCloud comes before Ec2 in the datasource list): use it for local test boots, not for AMIs');
      const instanceId = `amikit-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
      const host = asString(values.hostname);
      const metaData = `instance-id: ${instanceId}\n${host ? `local-hostname: ${host}\n` : ''}`;
      edit.mkdirp(NOCLOUD_SEED_DIR);
      edit.writeFile(`${NOCLOUD_SEED_DIR}/user-data`, bytes, { mode: 0o600 });
      edit.writeText(`${NOCLOUD_SEED_DIR}/meta-data`, metaData, { mode: 0o644 });
    } else {
      const firstLine = bytes.toString('utf8').replace(/^\ufeff/, '').split('\n', 1)[0]!.trimEnd();
      if (firstLine !== '#cloud-config') {
        throw new AmikitError('INPUT_FORMAT', `--cloud-init-user-data ${source}: only #cloud-config can be a cloud.cfg.d drop-in (first line is '${firstLine.slice(0, 40)}'); use --cloud-init-nocloud for scripts or MIME`, { data: { file: source } });
      }
      edit.mkdirp('/etc/cloud/cloud.cfg.d');
      edit.writeFile(USER_DATA_DROP_IN, bytes, { mode: 0o600 });
    }
    requestRelabel();
  },
};
