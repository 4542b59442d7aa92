import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema';
import {
  type ChainVerdict,
  type EventStore,
  type Projection,
  type StoredEvent,
  verifyChain,
} from '../../platform/eventstore';

export interface TableDifference {
  table: string;
  /** Rows in the live table that the events do not produce. */
  onlyLive: number;
  /** Rows the events produce that the live table lacks. */
  onlyRebuilt: number;
  /** Every differing row by its primary key, e.g. `live    cycle_id=…, jurisdiction=411003` (at most MAX_KEYS). */
  keys: string[];
  samples: string[];
}

const MAX_KEYS = 1_000;

export interface RebuildReport {
  events: number;
  tables: string[];
  differences: TableDifference[];
  /** The hash chain of the events replayed: a difference caused by an altered event row names its position here. */
  chain: ChainVerdict;
}

async function primaryKey(db: Kysely<Database>, table: string): Promise<string[]> {
  const result = await sql<{ column: string }>`
    select a.attname as column from pg_index i
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = ${`public.${table}`}::regclass and i.indisprimary
    order by array_position(i.indkey, a.attnum)`.execute(db);
  return result.rows.map((r) => r.column);
}

function keyOf(row: Record<string, unknown>, columns: string[]): string {
  const cols = columns.length > 0 ? columns : Object.keys(row);
  return cols.map((c) => `${c}=${typeof row[c] === 'string' ? row[c] : JSON.stringify(row[c])}`).join(', ');
}

const REPLAY_PAGE = 100;

/**
 * The auditors' independent recomputation: replays every event, in order, through the projections
 * into a fresh schema, then compares each query table with the live one row by row (both ways).
 * The live tables are only read; the scratch schema is dropped afterwards.
 */
export async function rebuildAndCompare(
  db: Kysely<Database>,
  store: EventStore,
  projections: readonly Projection[],
): Promise<RebuildReport> {
  const schema = `audit_rebuild_${Date.now()}`;
  const tables = projections.flatMap((p) => p.tables);
  await sql`create schema ${sql.id(schema)}`.execute(db);
  try {
    for (const table of tables) {
      await sql`create table ${sql.id(schema, table)} (like ${sql.id('public', table)} including all)`.execute(db);
    }
    const scratch = db.withSchema(schema);
    let events = 0;
    let batch: StoredEvent[] = [];
    const flush = async () => {
      for (const projection of projections) await projection.apply(scratch, batch);
      batch = [];
    };
    // Small pages: a bulk event holds a thousand rows, so 2,000 of them at once were gigabytes of JSON at 5M rows.
    for await (const event of store.readAll({ pageSize: REPLAY_PAGE })) {
      batch.push(event);
      events++;
      if (batch.length >= REPLAY_PAGE) await flush();
    }
    await flush();

    const differences: TableDifference[] = [];
    for (const table of tables) {
      const live = sql.id('public', table);
      const rebuilt = sql.id(schema, table);
      type Diff = { row: string; json: Record<string, unknown> };
      const onlyLive =
        await sql<Diff>`select t::text as row, to_jsonb(t) as json from (select * from ${live} except all select * from ${rebuilt}) t`.execute(
          db,
        );
      const onlyRebuilt =
        await sql<Diff>`select t::text as row, to_jsonb(t) as json from (select * from ${rebuilt} except all select * from ${live}) t`.execute(
          db,
        );
      if (onlyLive.rows.length + onlyRebuilt.rows.length > 0) {
        const columns = await primaryKey(db, table);
        const keys = [
          ...onlyLive.rows.map((r) => `live    ${keyOf(r.json, columns)}`),
          ...onlyRebuilt.rows.map((r) => `rebuilt ${keyOf(r.json, columns)}`),
        ].sort((a, b) => a.slice(8).localeCompare(b.slice(8)) || a.localeCompare(b));
        differences.push({
          table,
          onlyLive: onlyLive.rows.length,
          onlyRebuilt: onlyRebuilt.rows.length,
          keys: keys.length > MAX_KEYS ? [...keys.slice(0, MAX_KEYS), `… and ${keys.length - MAX_KEYS} more`] : keys,
          samples: [
            ...onlyLive.rows.slice(0, 3).map((r) => `live:    ${r.row}`),
            ...onlyRebuilt.rows.slice(0, 3).map((r) => `rebuilt: ${r.row}`),
          ],
        });
      }
    }
    return { events, tables, differences, chain: await verifyChain(store) };
  } finally {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
  }
}
