import { type Kysely, sql } from 'kysely';

/**
 * The hospital nursing subsidy (许政办〔2025〕15号). Persons appear everywhere by `person_ref`, a keyed
 * hash of the ID number; the ID number, name and bank account live only in `person_vault`, sealed
 * with AES-256-GCM (信息不外泄, 第十条).
 *
 * Ingest bookkeeping (`extracts`, `extract_rows`, `person_vault`) is written directly; everything else
 * here is a projection of events and is rebuilt by `audit rebuild`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table person_vault (
      person_ref text primary key,
      key_id text not null,
      sealed bytea not null,
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table extracts (
      extract_hash text primary key,
      file_name text not null,
      rows_total integer not null,
      rows_valid integer not null,
      rows_quarantined integer not null,
      loaded_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table extract_rows (
      extract_hash text not null,
      line_no integer not null,
      record_id text not null,
      person_ref text,
      hospital text,
      admission_date date,
      discharge_date date,
      exclusion text,
      self_application jsonb,
      content_hash text not null,
      quarantine_reason text,
      quarantine_detail text,
      primary key (extract_hash, line_no)
    )`.execute(db);
  await sql`create index extract_rows_person_idx on extract_rows (extract_hash, person_ref)`.execute(db);

  // Projections.
  await sql`
    create table roster_versions (
      version integer primary key,
      file_hash text not null unique,
      entries integer not null,
      changed integer not null,
      quarantined integer not null,
      loaded_at timestamptz not null
    )`.execute(db);
  await sql`
    create table roster_entries (
      person_ref text not null,
      valid_from_version integer not null,
      valid_to_version integer,
      jurisdiction text not null,
      category text not null,
      gender text not null,
      birth_date date not null,
      female_birth_date date,
      enrolled_on date not null,
      exited_on date,
      primary key (person_ref, valid_from_version)
    )`.execute(db);
  await sql`
    create table subsidy_cycles (
      cycle_id text primary key,
      quarter text not null,
      run_kind text not null,
      extract_hash text not null,
      roster_version integer not null,
      policy_version text not null,
      status text not null,
      summary jsonb
    )`.execute(db);
  await sql`
    create table row_outcomes (
      cycle_id text not null,
      line_no integer not null,
      record_id text not null,
      person_ref text,
      jurisdiction text,
      outcome text not null,
      reason text,
      nights integer not null,
      amount_fen bigint not null,
      payment_id text,
      explanation jsonb not null,
      primary key (cycle_id, line_no)
    )`.execute(db);
  await sql`
    create table entitlements (
      payment_id text primary key,
      cycle_id text not null,
      jurisdiction text not null,
      seq integer not null,
      person_ref text not null,
      category text not null,
      kind text not null,
      nights integer not null,
      amount_fen bigint not null,
      city_share_fen bigint not null,
      county_share_fen bigint not null,
      record_ids text[] not null,
      night_dates date[] not null,
      policy_version text not null,
      review_status text not null default 'pending',
      review_reason text,
      reviewed_by text,
      payment_status text not null default 'not_instructed',
      attempt integer not null default 0,
      bank_payment_id text,
      held_reason text,
      unique (cycle_id, jurisdiction, seq)
    )`.execute(db);
  await sql`create index entitlements_person_idx on entitlements (person_ref)`.execute(db);
  await sql`
    create table funding_requests (
      cycle_id text not null,
      jurisdiction text not null,
      amount_fen bigint not null,
      city_share_fen bigint not null,
      county_share_fen bigint not null,
      payments integer not null,
      status text not null,
      confirmed_by text,
      primary key (cycle_id, jurisdiction)
    )`.execute(db);
  await sql`
    create table recoveries (
      recovery_id text primary key,
      payment_id text not null,
      amount_fen bigint not null,
      repaid_fen bigint not null default 0,
      reason text not null,
      status text not null
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('subsidy tables are never rolled back');
}
