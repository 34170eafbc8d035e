import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { rootPasswordHash } from './root-password-hash.js';

const HASH = '$y$j9T$abcdefghijklmnop$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg';

describe('root-password-hash', () => {
  it("replaces only root's hash; other lines stay byte-identical", async () => {
    const shadow = 'root:*:19000:0:99999:7:::\r\ndaemon:*:19000:0:99999:7:::\nadmin:$6$x$y:19000:0:99999:7:::';
    const tree = makeTree({ '/etc/shadow': { text: shadow, mode: 0o640, gid: 42 } });
    const values = { 'root-password-hash': HASH };
    await runOps([rootPasswordHash], tree, values);
    expect(textAt(tree, '/etc/shadow')).toBe(`root:${HASH}:19000:0:99999:7:::\r\ndaemon:*:19000:0:99999:7:::\nadmin:$6$x$y:19000:0:99999:7:::`);
    expect(tree.lookup('/etc/shadow')?.meta).toMatchObject({ mode: 0o640, gid: 42 });
    await expectIdempotent(rootPasswordHash, tree, values);
  });

  it('refuses non-hashes and images without a root shadow line', async () => {
    expect(() => rootPasswordHash.validate!({ 'root-password-hash': 'hunter2' })).toThrow(/not a crypt/);
    expect(() => rootPasswordHash.validate!({ 'root-password-hash': '!' })).not.toThrow();
    await expect(runOps([rootPasswordHash], makeTree({ '/etc/shadow': 'daemon:*:1::::::\n' }), { 'root-password-hash': HASH })).rejects.toMatchObject({ code: 'INPUT_FORMAT' });
  });
});
