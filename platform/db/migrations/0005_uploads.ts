import { type Kysely, sql } from 'kysely';

/**
 * Uploaded extracts and rosters, content-addressed by SHA-256 and stored in chunks, so that every API
 * and worker process — on any machine — reads the same bytes through PostgreSQL alone (no shared
 * folder). Bookkeeping, not projections: written directly, never rebuilt from events.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table uploads (
      upload_hash text primary key,
      kind text not null check (kind in ('csv', 'xlsx')),
      size_bytes bigint not null,
      chunks integer not null,
      stored_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table upload_chunks (
      upload_hash text not null,
      seq integer not null,
      data bytea not null,
      primary key (upload_hash, seq)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table upload_chunks`.execute(db);
  await sql`drop table uploads`.execute(db);
}
