import { type Kysely, sql } from 'kysely';

/**
 * Nights a recorded correction removed from a payment (RecordsCorrected, 第十三条 追回): they were
 * never hospital nights, so the nights a person has used of the yearly cap leave them out, and a
 * later copy of the corrected record neither removes them again nor counts as a new correction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table corrected_nights (
      cycle_id text not null,
      payment_id text not null,
      record_id text not null,
      person_ref text not null,
      removed_nights date[] not null,
      -- The record's dates as corrected: a later copy with these dates is the same record again.
      admission_date date not null,
      discharge_date date not null,
      primary key (payment_id, record_id, cycle_id)
    )`.execute(db);
  await sql`create index corrected_nights_person_idx on corrected_nights (person_ref)`.execute(db);
  // Corrections recorded before this table existed, from their events (as the projection writes them).
  await sql`
    insert into corrected_nights (cycle_id, payment_id, record_id, person_ref, removed_nights, admission_date, discharge_date)
    select e.data->>'cycleId', c->>'paymentId', c->>'recordId', c->>'personRef',
           array(select jsonb_array_elements_text(c->'removedNights'))::date[],
           (c->'after'->>'admissionDate')::date, (c->'after'->>'dischargeDate')::date
    from events e, jsonb_array_elements(e.data->'corrections') c
    where e.type = 'RecordsCorrected'
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table corrected_nights`.execute(db);
}
