import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { containerLeftovers } from './container-leftovers.js';

describe('container-leftovers', () => {
  it('removes runtime markers', async () => {
    const tree = makeTree({ '/.dockerenv': '', '/run/.containerenv': 'engine="podman"\n', '/etc/os-release': 'x' });
    await runOps([containerLeftovers], tree);
    expect(tree.lookup('/.dockerenv')).toBeUndefined();
    expect(tree.lookup('/run/.containerenv')).toBeUndefined();
    await expectIdempotent(containerLeftovers, tree);
  });
});
