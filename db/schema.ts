import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** The tables Kysely knows about. Projections add their query tables here. */
export interface Database {
  events: EventsTable;
}

export interface EventsTable {
  position: ColumnType<string, never, never>;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: JSONColumnType<Record<string, unknown>>;
  metadata: JSONColumnType<Record<string, unknown>>;
  recorded_at: ColumnType<Date, string, never>;
  prev_hash: string;
  hash: string;
}

export type { Generated };
