import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps } from '../op-test-harness.js';
import { randomSeed } from './random-seed.js';

describe('random-seed', () => {
  it('removes every saved seed and the credential secret', async () => {
    const tree = makeTree({ '/var/lib/systemd/random-seed': 'xx', '/var/lib/systemd/credential.secret': 'k', '/var/lib/urandom/random-seed': 'y', '/var/lib/systemd/other': 'keep' });
    await runOps([randomSeed], tree);
    expect(tree.lookup('/var/lib/systemd/random-seed')).toBeUndefined();
    expect(tree.lookup('/var/lib/systemd/credential.secret')).toBeUndefined();
    expect(tree.lookup('/var/lib/urandom/random-seed')).toBeUndefined();
    expect(tree.lookup('/var/lib/systemd/other')).toBeDefined();
    await expectIdempotent(randomSeed, tree);
  });
});
