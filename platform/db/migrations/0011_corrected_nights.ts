import { type Kysely, sql } from 'kysely';

/**
 * Nights a recorded correction removed from a payment (RecordsCorrected, 第十三条 追回): they were
 * never hospital nights, so the nights a person has used of the yearly cap leave them out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table corrected_nights (
      cycle_id text not null,
      payment_id text not null,
      record_id text not null,
      person_ref text not null,
      removed_nights date[] not null,
      primary key (payment_id, record_id, cycle_id)
    )`.execute(db);
  // Corrections recorded before this table existed, from their events (as the projection writes them).
  await sql`
    insert into corrected_nights (cycle_id, payment_id, record_id, person_ref, removed_nights)
    select e.data->>'cycleId', c->>'paymentId', c->>'recordId', c->>'personRef',
           array(select jsonb_array_elements_text(c->'removedNights'))::date[]
    from events e, jsonb_array_elements(e.data->'corrections') c
    where e.type = 'RecordsCorrected'
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table corrected_nights`.execute(db);
}
