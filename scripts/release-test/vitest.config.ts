import { defineConfig } from 'vitest/config';

// The release test on its own (`npm run test:release`, from the repo root): slow steps (npm installs, builds), one file, in order.
export default defineConfig({
  test: {
    include: ['scripts/release-test/release.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
