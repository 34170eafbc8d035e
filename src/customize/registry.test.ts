import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_OPERATIONS, checkRegistry } from './registry.js';
import type { CustomizeOperation } from './operation.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('operation registry', () => {
  it('has one ops/<name>.ts and ops/<name>.test.ts per operation', () => {
    for (const op of ALL_OPERATIONS) {
      const file = op.name === 'delete' ? 'delete' : op.name;
      expect(existsSync(join(here, 'ops', `${file}.ts`)), op.name).toBe(true);
      expect(existsSync(join(here, 'ops', `${file}.test.ts`)), op.name).toBe(true);
    }
  });

  it('refuses malformed records: bad names, duplicates, summaries ending in a period, clashing or reserved flags', () => {
    const base: CustomizeOperation = { name: 'ok-op', kind: 'strip', enabledByDefault: true, summary: 'does a thing', description: 'd', options: [], apply: async () => undefined };
    expect(() => checkRegistry([{ ...base, name: 'Bad_Name' }])).toThrow(/kebab-case/);
    expect(() => checkRegistry([base, base])).toThrow(/duplicate/);
    expect(() => checkRegistry([{ ...base, summary: 'ends.' }])).toThrow(/final period/);
    expect(() => checkRegistry([{ ...base, options: [{ flag: 'sysprep', type: 'boolean', help: 'x' }] }])).toThrow(/declared twice/);
    expect(() => checkRegistry([{ ...base, options: [{ flag: 'keep-x', type: 'boolean', help: 'x' }] }])).toThrow(/start with sysprep-/);
    expect(() => checkRegistry([{ ...base, kind: 'inject', enabledByDefault: false }])).toThrow(/at least one flag/);
  });

  it('is sorted by name and every stripping operation but opt-in ones is a default', () => {
    const names = ALL_OPERATIONS.map((op) => op.name);
    expect(names).toEqual([...names].sort());
    expect(ALL_OPERATIONS.filter((op) => op.kind === 'strip').length).toBeGreaterThanOrEqual(17);
  });
});
