import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { cloudInitUserData, NOCLOUD_SEED_DIR, USER_DATA_DROP_IN } from './cloud-init-user-data.js';

const CLOUD_CONFIG = '#cloud-config\nruncmd:\n  - echo hi\n';

describe('cloud-init-user-data', () => {
  it('writes #cloud-config as a 0600 cloud.cfg.d drop-in', async () => {
    const tree = makeTree({ '/etc/cloud/cloud.cfg': 'x' });
    const values = { 'cloud-init-user-data': '/h/ud' };
    const report = await runOps([cloudInitUserData], tree, values, { hostFiles: { '/h/ud': CLOUD_CONFIG } });
    expect(textAt(tree, USER_DATA_DROP_IN)).toBe(CLOUD_CONFIG);
    expect(tree.lookup(USER_DATA_DROP_IN)?.meta.mode).toBe(0o600);
    expect(report.warnings).toEqual([]);
    await expectIdempotent(cloudInitUserData, tree, values, { hostFiles: { '/h/ud': CLOUD_CONFIG } });
  });

  it('refuses a script as a drop-in and writes a NoCloud seed with both files and a warning', async () => {
    const script = '#!/bin/sh\necho hi\n';
    await expect(runOps([cloudInitUserData], makeTree({ '/etc/cloud/cloud.cfg': 'x' }), { 'cloud-init-user-data': '/h/s' }, { hostFiles: { '/h/s': script } })).rejects.toMatchObject({ code: 'INPUT_FORMAT' });
    const tree = makeTree({ '/etc/cloud/cloud.cfg': 'x' });
    const values = { 'cloud-init-user-data': '/h/s', 'cloud-init-nocloud': true, hostname: 'test-vm' };
    const report = await runOps([cloudInitUserData], tree, values, { hostFiles: { '/h/s': script } });
    expect(textAt(tree, `${NOCLOUD_SEED_DIR}/user-data`)).toBe(script);
    expect(textAt(tree, `${NOCLOUD_SEED_DIR}/meta-data`)).toMatch(/^instance-id: amikit-[0-9a-f]{16}\nlocal-hostname: test-vm\n$/);
    expect(report.warnings.join()).toMatch(/shadows EC2 metadata/);
    expect(() => cloudInitUserData.validate!({ 'cloud-init-nocloud': true })).toThrow(/needs --cloud-init-user-data/);
  });
});
