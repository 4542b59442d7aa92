import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { type Config, dataPaths } from '../../platform/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../platform/temporal/search-attributes';
import {
  isAlive,
  ownedByAnotherLiveCommand,
  readServiceRecord,
  removeServiceRecord,
  stopProcess,
  writeServiceRecord,
} from './processes';
import { defaultCacheDir, resolveTemporalBinary } from './temporal-bin';

export interface TemporalHandle {
  address: string;
  /** The Web UI, when this stack runs the dev server. */
  uiUrl: string | undefined;
  owned: boolean;
  /** The dev server's pid (embedded only). */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * Where the Web UI sends payloads to be decoded: TEMPORAL_UI_CODEC_ENDPOINT, else this stack's API
 * (`/codec`, see app/api/routes/codec.ts); undefined when set to `off`.
 */
export function uiCodecEndpoint(config: Config): string | undefined {
  if (config.TEMPORAL_UI_CODEC_ENDPOINT === 'off') return undefined;
  if (config.TEMPORAL_UI_CODEC_ENDPOINT) return config.TEMPORAL_UI_CODEC_ENDPOINT.replace(/\/+$/, '');
  // The browser runs on the operator's machine: a wildcard bind address is reached on loopback.
  const host = ['0.0.0.0', '::'].includes(config.API_HOST) ? '127.0.0.1' : config.API_HOST;
  return `http://${host}:${config.API_PORT}/codec`;
}

/** Origins whose pages may call the codec server (CORS): CODEC_CORS_ORIGINS, else the dev server's UI. */
export function codecCorsOrigins(config: Config): string[] {
  if (config.CODEC_CORS_ORIGINS)
    return config.CODEC_CORS_ORIGINS.split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean);
  return [`http://127.0.0.1:${config.TEMPORAL_UI_PORT}`, `http://localhost:${config.TEMPORAL_UI_PORT}`];
}

/** Dev-server flags beyond those the SDK itself passes (it already sets port, namespace, ip and logging). */
function devServerExtraArgs(config: Config): string[] {
  const codec = uiCodecEndpoint(config);
  return codec ? ['--ui-codec-endpoint', codec] : [];
}

/** Waits until the frontend answers, then registers the search attributes the workflows use. */
export async function waitForTemporal(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        await registerSearchAttributes(connection, namespace);
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not come up: ${String(error)}`);
      await sleep(250);
    }
  }
}

/** Adds the missing search attributes; idempotent, and works on the dev server and on a real cluster. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

/**
 * Makes sure a Temporal frontend is there: TEMPORAL_ADDRESS when given; otherwise the dev server of
 * DATA_DIR (SQLite file, Web UI on TEMPORAL_UI_PORT) — reused when another live command runs it,
 * adopted when its owner died, started otherwise, with the binary found or installed by
 * app/stack/temporal-bin.ts. Callers serialise this with withRunLock.
 */
export async function ensureTemporal(config: Config, log: (line: string) => void): Promise<TemporalHandle> {
  if (config.TEMPORAL_ADDRESS) {
    await waitForTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
    return { address: config.TEMPORAL_ADDRESS, uiUrl: undefined, owned: false, stop: async () => {} };
  }
  const paths = dataPaths(config);
  const address = `127.0.0.1:${config.TEMPORAL_PORT}`;
  const uiUrl = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  const record = readServiceRecord(paths.run, 'temporal');

  if (record && isAlive(record.pid)) {
    const owned = !ownedByAnotherLiveCommand(record);
    if (owned) {
      log(`temporal: adopting the dev server left running by an earlier command (pid ${record.pid})`);
      writeServiceRecord(paths.run, 'temporal', { ...record, ownerPid: process.pid });
    }
    await waitForTemporal(address, config.TEMPORAL_NAMESPACE);
    return {
      address,
      uiUrl,
      owned,
      pid: record.pid,
      stop: owned ? () => stopDevServer(paths.run, record.pid) : async () => {},
    };
  }
  const pid = await startDevServer(config, log);
  return { address, uiUrl, owned: true, pid, stop: () => stopDevServer(paths.run, pid) };
}

/** Starts the dev server in its own session (Ctrl-C reaches only us; we stop it after the worker drained). */
export async function startDevServer(config: Config, log: (line: string) => void): Promise<number> {
  const paths = dataPaths(config);
  mkdirSync(paths.logs, { recursive: true });
  const binary = await resolveTemporalBinary({
    cliPath: config.TEMPORAL_CLI_PATH,
    pathEnv: process.env.PATH,
    cacheDir: config.XUCHANG_CACHE_DIR ?? defaultCacheDir(),
    log,
  });
  const logFile = path.join(paths.logs, 'temporal.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    binary,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(config.TEMPORAL_PORT),
      '--ui-port',
      String(config.TEMPORAL_UI_PORT),
      '--db-filename',
      paths.temporalDb,
      '--namespace',
      config.TEMPORAL_NAMESPACE,
      '--log-format',
      'json',
      '--log-level',
      'warn',
      ...devServerExtraArgs(config),
    ],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (!pid) throw new Error(`could not start ${binary}`);
  child.unref();
  writeServiceRecord(paths.run, 'temporal', {
    pid,
    ownerPid: process.pid,
    port: config.TEMPORAL_PORT,
    startedAt: new Date().toISOString(),
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited with code ${code}; see ${logFile}`))),
  );
  await Promise.race([waitForTemporal(address(config), config.TEMPORAL_NAMESPACE), exited]);
  return pid;
}

function address(config: Config): string {
  return `127.0.0.1:${config.TEMPORAL_PORT}`;
}

export async function stopDevServer(runDir: string, pid: number): Promise<void> {
  await stopProcess(pid, 'SIGTERM');
  removeServiceRecord(runDir, 'temporal');
}
