// The README's operations table is generated from the registry: this test fails when they drift.
// Regenerate with: UPDATE_README=1 npx vitest run test/customize/readme-operations.test.ts
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderOperationsTable, replaceReadmeSection } from '../../src/customize/operations-table.js';

const README = join(import.meta.dirname, '..', '..', 'README.md');

describe('README operations table', () => {
  it('matches the registry', async () => {
    const readme = await readFile(README, 'utf8');
    const updated = replaceReadmeSection(readme, renderOperationsTable());
    expect(updated, 'README.md needs <!-- operations:begin --> and <!-- operations:end --> markers').toBeDefined();
    if (process.env.UPDATE_README === '1' && updated !== readme) await writeFile(README, updated!);
    else expect(readme).toBe(updated);
  });
});
