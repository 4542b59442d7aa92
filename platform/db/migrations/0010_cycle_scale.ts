import { type Kysely, sql } from 'kysely';

/**
 * Indexes for computing a cycle in batches of persons: the records of a person paid by earlier
 * cycles (corrections, repeats) are found by person, and records carried forward to their discharge
 * quarter by reason, not by scanning every earlier outcome.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index row_outcomes_paid_person_idx on row_outcomes (person_ref) where outcome = 'paid'`.execute(db);
  // The extract in person order, each person's rows in line order, straight from the index (no sort per batch).
  await sql`create index extract_rows_person_line_idx on extract_rows (extract_hash, person_ref, line_no)`.execute(db);
  await sql`drop index extract_rows_person_idx`.execute(db);
  // Records discharged after their cycle's quarter, found by the cycle of their discharge quarter.
  await sql`create index row_outcomes_carried_idx on row_outcomes (cycle_id) where reason = 'discharged_after_quarter'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index row_outcomes_carried_idx`.execute(db);
  await sql`create index extract_rows_person_idx on extract_rows (extract_hash, person_ref)`.execute(db);
  await sql`drop index extract_rows_person_line_idx`.execute(db);
  await sql`drop index row_outcomes_paid_person_idx`.execute(db);
}
