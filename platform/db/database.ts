import { Kysely, type MigrationProvider, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index';
import type { Database } from './schema';

// bigint (int8) columns come back as strings by default; positions and counts fit in a JS number
// only while < 2^53, so they stay strings in the event store's API and callers convert knowingly.

export type Db = Kysely<Database>;

// `date` columns stay ISO strings: the rules work on calendar dates, never on instants, and a
// Date object would shift them by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// date[] likewise (OID 1182).
pg.types.setTypeParser(1182 as never, (value: string) => (value === '{}' ? [] : value.slice(1, -1).split(',')));

export function createDb(
  connectionString: string,
  options: { max?: number; onError?: (error: Error) => void } = {},
): Db {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, application_name: 'xuchang' });
  // An idle connection that the server closes (restart, shutdown) must not crash the process: the
  // pool drops it and the next query opens a new one.
  const onError = options.onError ?? (() => {});
  pool.on('error', onError);
  // A checked-out client has no pool listener: a connection lost mid-query (server killed or
  // restarted) would be an unhandled 'error' event and end the process. The query itself rejects,
  // so the work using it fails (and its activity is retried).
  pool.on('connect', (client) => client.on('error', onError));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const staticProvider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; safe to run on every start (the migrator takes a lock). */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: staticProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
