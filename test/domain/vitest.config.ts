import { defineConfig } from 'vitest/config';

// The rules core's tests need no servers: `npx vitest run --config test/domain/vitest.config.ts` runs them
// without the repo's global setup (PostgreSQL + Temporal). `npx vitest run test/domain` works too.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/domain/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
