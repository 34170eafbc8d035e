// `--timezone TZ`: points /etc/localtime at the image's zoneinfo (as systemd-firstboot and timedatectl do)
// and updates Debian /etc/timezone and RH /etc/sysconfig/clock when the image has them.
import { AmikitError } from '../../shared/errors.js';
import { editTextFile } from '../edit-text-file.js';
import type { CustomizeOperation } from '../operation.js';
import { asString } from '../option-values.js';

export const timezone: CustomizeOperation = {
  name: 'timezone',
  kind: 'inject',
  enabledByDefault: false,
  order: 50,
  summary: 'set the time zone (/etc/localtime symlink)',
  description: '`--timezone TZ` makes `/etc/localtime` a symlink to `../usr/share/zoneinfo/TZ`, which must exist in the image (exit 2 otherwise); `/etc/timezone` and `ZONE=` in `/etc/sysconfig/clock` are rewritten when present.',
  options: [{ flag: 'timezone', type: 'string', valueName: 'TZ', help: 'time zone, e.g. Europe/Paris (must exist under /usr/share/zoneinfo in the image)' }],
  validate(values) {
    const zone = asString(values.timezone);
    if (zone !== undefined && (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) || zone.split('/').includes('..'))) {
      throw new AmikitError('USAGE', `--timezone '${zone}' is not a time zone name`);
    }
  },
  async apply(_tree, { edit, values }) {
    const zone = asString(values.timezone)!;
    if (edit.resolve(`/usr/share/zoneinfo/${zone}`)?.node?.kind !== 'file') {
      throw new AmikitError('INPUT_FORMAT', `--timezone: /usr/share/zoneinfo/${zone} does not exist in the image`, { data: { timezone: zone } });
    }
    edit.symlink('/etc/localtime', `../usr/share/zoneinfo/${zone}`);
    if (edit.lookup('/etc/timezone')) edit.writeText('/etc/timezone', `${zone}\n`);
    await editTextFile(edit, '/etc/sysconfig/clock', (text) => text.replace(/^(\s*ZONE=).*$/m, (_m, key: string) => `${key}"${zone}"`));
  },
};
