import { type Kysely, sql } from 'kysely';

/**
 * Payment safety (the bank is the authority):
 * - `payment_instructions`: the exact content of each attempt (account sealed, amount), frozen when
 *   the attempt is recorded and never changed, so every retry of an attempt sends the same thing;
 * - `payment_corrections`: corrected accounts a person entered for a re-issue, sealed, kept;
 * - `reconciliation_breaks`: projection of differences between the bank's statement and our books;
 * - `entitlements.doubt_reason`: why a payment is in doubt (no answer, conflicting answer).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table payment_instructions (
      idempotency_key text primary key,
      payment_id text not null,
      attempt integer not null,
      amount_fen bigint not null,
      key_id text not null,
      sealed bytea not null,
      digest text not null,
      recorded_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index payment_instructions_payment_idx on payment_instructions (payment_id)`.execute(db);
  await sql`
    create function payment_instructions_are_frozen() returns trigger language plpgsql as $$
    begin
      raise exception 'payment instructions are frozen: % on payment_instructions refused', tg_op;
    end $$`.execute(db);
  await sql`
    create trigger payment_instructions_frozen before update or delete on payment_instructions
    for each row execute function payment_instructions_are_frozen()`.execute(db);
  await sql`
    create table payment_corrections (
      correction_id uuid primary key,
      payment_id text not null,
      person_ref text not null,
      key_id text not null,
      sealed bytea not null,
      requested_by text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table reconciliation_breaks (
      break_id text primary key,
      cycle_id text not null,
      payment_id text not null,
      jurisdiction text,
      kind text not null,
      detail jsonb not null,
      status text not null,
      resolved_by text,
      resolution text
    )`.execute(db);
  await sql`create index reconciliation_breaks_cycle_idx on reconciliation_breaks (cycle_id, status)`.execute(db);
  await sql`alter table entitlements add column doubt_reason text`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('payment safety tables are never rolled back');
}
