import { type Kysely, sql } from 'kysely';

/**
 * An event's data is kept as the canonical JSON text its hash was computed over (json, not jsonb):
 * an auditor hashes the bytes stored, and an append no longer converts every document into jsonb's
 * binary form — for a bulk event of a thousand rows, that conversion was most of the append.
 * Events stored before keep their content (jsonb's text form); their hashes are over the parsed
 * content, which the cast does not change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column data type json using data::json`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column data type jsonb using data::jsonb`.execute(db);
}
