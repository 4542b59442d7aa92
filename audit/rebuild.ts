import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { EventStore, Projection, StoredEvent } from '../eventstore';

export interface TableDifference {
  table: string;
  /** Rows in the live table that the events do not produce. */
  onlyLive: number;
  /** Rows the events produce that the live table lacks. */
  onlyRebuilt: number;
  samples: string[];
}

export interface RebuildReport {
  events: number;
  tables: string[];
  differences: TableDifference[];
}

/**
 * The auditors' independent recomputation: replays every event, in order, through the projections
 * into a fresh schema, then compares each query table with the live one row by row (both ways).
 * The live tables are only read; the scratch schema is dropped afterwards.
 */
export async function rebuildAndCompare(db: Kysely<Database>, store: EventStore, projections: readonly Projection[]): Promise<RebuildReport> {
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
    for await (const event of store.readAll({ pageSize: 2_000 })) {
      batch.push(event);
      events++;
      if (batch.length >= 2_000) await flush();
    }
    await flush();

    const differences: TableDifference[] = [];
    for (const table of tables) {
      const live = sql.id('public', table);
      const rebuilt = sql.id(schema, table);
      const onlyLive = await sql<{ row: string }>`select t::text as row from (select * from ${live} except all select * from ${rebuilt}) t`.execute(db);
      const onlyRebuilt = await sql<{ row: string }>`select t::text as row from (select * from ${rebuilt} except all select * from ${live}) t`.execute(db);
      if (onlyLive.rows.length + onlyRebuilt.rows.length > 0) {
        differences.push({
          table,
          onlyLive: onlyLive.rows.length,
          onlyRebuilt: onlyRebuilt.rows.length,
          samples: [...onlyLive.rows.slice(0, 3).map((r) => `live:    ${r.row}`), ...onlyRebuilt.rows.slice(0, 3).map((r) => `rebuilt: ${r.row}`)],
        });
      }
    }
    return { events, tables, differences };
  } finally {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
  }
}
