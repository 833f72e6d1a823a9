import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: integration tests start real nfcapd/gobgpd/ssh servers; keep parallelism modest.
    maxWorkers: 2,
    // Screens draw pictures with the pure fallback in tests (test/views/pictures.test.ts draws both modes itself;
    // the tmux end-to-end test gives its terminal the real default).
    env: { NOCFLOW_PICTURES: 'plain' },
  },
});
