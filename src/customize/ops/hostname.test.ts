import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { checkHostname, hostname } from './hostname.js';

describe('hostname', () => {
  it('validates RFC 1123 names', () => {
    expect(() => checkHostname('web-1.example.com')).not.toThrow();
    expect(() => checkHostname('-bad')).toThrow(/not a valid host name/);
    expect(() => checkHostname('a_b')).toThrow();
  });

  it('writes /etc/hostname and one 127.0.1.1 line, replacing the old name', async () => {
    const tree = makeTree({
      '/etc/hostname': 'old\n',
      '/etc/hosts': '127.0.0.1 localhost\n127.0.1.1 old.lan old\n10.1.1.1 old db\n',
      '/etc/cloud/cloud.cfg': 'users: [default]\n',
    });
    const values = { hostname: 'web1.example.com' };
    await runOps([hostname], tree, values);
    expect(textAt(tree, '/etc/hostname')).toBe('web1.example.com\n');
    expect(textAt(tree, '/etc/hosts')).toBe('127.0.0.1 localhost\n127.0.1.1\tweb1.example.com web1\n10.1.1.1\tdb\n');
    expect(textAt(tree, '/etc/cloud/cloud.cfg.d/90-amikit-hostname.cfg')).toMatch(/preserve_hostname: true/);
    await expectIdempotent(hostname, tree, values);
  });

  it('creates /etc/hosts when missing', async () => {
    const tree = makeTree({ '/etc/os-release': 'x' });
    await runOps([hostname], tree, { hostname: 'box' });
    expect(textAt(tree, '/etc/hosts')).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n');
  });
});
