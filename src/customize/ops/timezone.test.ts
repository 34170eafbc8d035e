import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { timezone } from './timezone.js';

describe('timezone', () => {
  it('links /etc/localtime to the zone and rewrites /etc/timezone', async () => {
    const tree = makeTree({ '/usr/share/zoneinfo/Europe/Paris': 'TZif', '/etc/localtime': { link: '/usr/share/zoneinfo/Etc/UTC' }, '/etc/timezone': 'Etc/UTC\n' });
    const values = { timezone: 'Europe/Paris' };
    await runOps([timezone], tree, values);
    const link = tree.lookup('/etc/localtime');
    expect(link?.kind === 'symlink' && link.target.toString()).toBe('../usr/share/zoneinfo/Europe/Paris');
    expect(textAt(tree, '/etc/timezone')).toBe('Europe/Paris\n');
    await expectIdempotent(timezone, tree, values);
  });

  it('refuses a zone the image does not have', async () => {
    await expect(runOps([timezone], makeTree({ '/etc/x': 'x' }), { timezone: 'Mars/Olympus' })).rejects.toMatchObject({ code: 'INPUT_FORMAT' });
    expect(() => timezone.validate!({ timezone: '../etc' })).toThrow(/not a time zone/);
  });
});
