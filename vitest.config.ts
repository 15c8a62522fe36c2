import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      // the dashboard's page: its modules without a DOM, and its build
      'services/*/web/**/*.test.ts',
      'bench/**/*.test.ts',
      'deploy/**/*.test.ts',
    ],
    // The deployment on a container engine: `pnpm test:deploy`, which .ci/run runs after this.
    exclude: [...configDefaults.exclude, 'deploy/test/**'],
    // Integration tests start real brokers and processes; on a loaded 2-core machine they need slack.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
