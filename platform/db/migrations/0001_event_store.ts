import { type Kysely, sql } from 'kysely';

/**
 * The event store: the system's source of truth (保障措施(三): a durable, attributable,
 * tamper-evident record of every decision). Rows are append-only — the database itself refuses
 * UPDATE, DELETE and TRUNCATE — and each row carries the SHA-256 of its content chained to the
 * previous row's hash, so an edit made by someone who bypasses the triggers is still detected.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table events (
      position bigint generated always as identity primary key,
      event_id uuid not null unique,
      stream_id text not null,
      stream_version integer not null check (stream_version >= 1),
      type text not null,
      data jsonb not null,
      metadata jsonb not null,
      recorded_at timestamptz not null,
      prev_hash text not null,
      hash text not null unique,
      unique (stream_id, stream_version)
    )`.execute(db);
  await sql`create index events_type_idx on events (type)`.execute(db);
  await sql`
    create function events_are_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'events are append-only: % is refused', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create trigger events_no_update_or_delete before update or delete on events
    for each row execute function events_are_append_only()`.execute(db);
  await sql`
    create trigger events_no_truncate before truncate on events
    for each statement execute function events_are_append_only()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the event store is never rolled back');
}
