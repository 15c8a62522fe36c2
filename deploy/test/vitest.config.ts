/** `pnpm test:deploy`: the docker compose deployment on Podman (stack.test.ts), apart from `pnpm test`. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['deploy/test/**/*.test.ts'],
    // One scenario, step after step; the steps set their own time limits.
    fileParallelism: false,
    testTimeout: 15 * 60_000,
    hookTimeout: 30 * 60_000,
    pool: 'forks',
  },
});
