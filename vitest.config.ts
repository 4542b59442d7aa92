import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// TEST-ONLY payload key ring, committed on purpose (it protects nothing): histories recorded by the
// tests are encrypted with it, and test/replay must decrypt them on any machine, CI included.
const TEST_ONLY_PAYLOAD_KEYS = readFileSync(
  new URL('./test/security/TEST-ONLY-payload-keys.txt', import.meta.url),
  'utf8',
).trim();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One embedded PostgreSQL and one Temporal dev server for the whole run; each file gets its own database.
    globalSetup: ['test/support/global-setup.ts'],
    env: { PAYLOAD_KEYS: TEST_ONLY_PAYLOAD_KEYS },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    // Two cores: files that start workers compete for CPU with the servers.
    maxWorkers: 2,
  },
});
