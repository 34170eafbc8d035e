import { describe, expect, it } from 'vitest';
import { ALL_OPERATIONS } from './registry.js';
import { selectOperations } from './select.js';

const defaults = ALL_OPERATIONS.filter((op) => op.kind === 'strip' && op.enabledByDefault).map((op) => op.name);

describe('--sysprep selection algebra', () => {
  it('defaults, removals, additions, all', () => {
    expect(selectOperations('', ALL_OPERATIONS)).toEqual(defaults);
    expect(selectOperations('defaults', ALL_OPERATIONS)).toEqual(defaults);
    expect(selectOperations('defaults,-tmp-files', ALL_OPERATIONS)).toEqual(defaults.filter((n) => n !== 'tmp-files'));
    expect(selectOperations('-tmp-files,-logfiles', ALL_OPERATIONS)).toEqual(defaults.filter((n) => n !== 'tmp-files' && n !== 'logfiles'));
    expect(selectOperations('machine-id,+swap', ALL_OPERATIONS)).toEqual(['machine-id', 'swap']);
    expect(selectOperations('all,-defaults,+machine-id', ALL_OPERATIONS)).toEqual(['machine-id']);
  });

  it('refuses unknown names, injection operations and empty tokens', () => {
    expect(() => selectOperations('defaults,-nope', ALL_OPERATIONS)).toThrow(/unknown operation 'nope'/);
    expect(() => selectOperations('ssh-authorized-keys', ALL_OPERATIONS)).toThrow(/injection operation.*--ssh-key/);
    expect(() => selectOperations('defaults,,swap', ALL_OPERATIONS)).toThrow(/empty operation name/);
  });
});
