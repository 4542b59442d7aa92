import { defineConfig } from 'vitest/config';
import { TEST_ONLY_PAYLOAD_KEYS } from './test/security/TEST-ONLY-payload-keys';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One embedded PostgreSQL and one Temporal dev server for the whole run; each file gets its own database.
    globalSetup: ['test/support/global-setup.ts'],
    // Payload encryption in tests uses a fixed, committed TEST-ONLY key so recorded histories replay anywhere.
    env: { PAYLOAD_KEYS: TEST_ONLY_PAYLOAD_KEYS },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    // Two cores: files that start workers compete for CPU with the servers.
    maxWorkers: 2,
  },
});
