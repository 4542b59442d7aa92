import { type Kysely, sql } from 'kysely';

/**
 * What loading a million-row extract costs PostgreSQL, measured on a 2-core machine:
 * - The extract is no longer kept in person order by an index: every row the ingest COPYs landed at a
 *   random place in it (a person reference is a keyed hash), 13 of the 20 s a million-row COPY took.
 *   The compute step sorts the extract once instead (1–2 s) and reads it through a cursor. The primary
 *   key (extract, line) stays: its entries go in line order.
 * - Uploaded files are stored as they come, not compressed: compressing each 1 MiB chunk (pglz) is
 *   CPU the upload that starts a cycle waits for, to save disk on a file that is read once or twice.
 *   Applies to chunks written from now on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists extract_rows_person_line_idx`.execute(db);
  await sql`alter table upload_chunks alter column data set storage external`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table upload_chunks alter column data set storage extended`.execute(db);
  await sql`create index extract_rows_person_line_idx on extract_rows (extract_hash, person_ref, line_no)`.execute(db);
}
