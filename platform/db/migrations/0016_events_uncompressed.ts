import { type Kysely, sql } from 'kysely';

/**
 * Event data is stored as it comes, not compressed. PostgreSQL here has only pglz, and compressing the
 * row outcomes of a million-row cycle (~1,000 events of ~230 KB) was PostgreSQL's largest single cost
 * while the cycle computed: measured in two runs of the 1M bench, PostgreSQL's CPU in the compute step
 * went from 32.9 s to 24.9 s and the step from 42.4 s to 32.3 s. The price is disk: the events of that
 * cycle take 244 MB instead of 61 MB (its row_outcomes projection alone takes 287 MB). Applies to events
 * written from now on; the hash chain is over the JSON text, not its storage.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column data set storage external`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column data set storage extended`.execute(db);
}
