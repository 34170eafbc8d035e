import { defineConfig } from 'vitest/config';

// Tool-oracle tests (e2fsck, debugfs, GNU tar, loop mounts) are slow by nature: long timeouts, and
// files run in separate forks so a heavy image build does not starve another file's timers.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
