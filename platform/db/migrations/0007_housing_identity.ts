import { type Kysely, sql } from 'kysely';

/**
 * Housing (issue 15): a listing is one home — its normalised address+unit (`home_key`) and its
 * property certificate number find an earlier post; the plan's reservations become a projection of
 * the listing events (PurchaseAdmitted, LoanFallbackToCapital, HomeHandedOver, FundsReleased); and
 * owner surveys of whole residential complexes (the 80 % rule per 小区). All projections, rebuilt
 * by `audit rebuild`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table housing_listings add column home_key text`.execute(db);
  await sql`alter table housing_listings add column property_certificate_no text`.execute(db);
  await sql`alter table housing_listings add column new_home_contract text`.execute(db);
  // Listings posted before: their key from the stored address and unit (homeKeyOf's rule).
  await sql`update housing_listings set home_key = lower(regexp_replace(address, '\\s+', '', 'g')) || '#' || lower(regexp_replace(unit, '\\s+', '', 'g'))`.execute(
    db,
  );
  await sql`create index housing_listings_home_key_idx on housing_listings (home_key)`.execute(db);
  await sql`create index housing_listings_certificate_idx on housing_listings (property_certificate_no) where property_certificate_no is not null`.execute(
    db,
  );
  await sql`
    create table housing_reservations (
      listing_id text primary key,
      plan_id text not null,
      status text not null,
      capital_fen bigint not null,
      loan_fen bigint not null,
      spent_capital_fen bigint not null,
      spent_loan_fen bigint not null
    )`.execute(db);
  await sql`create index housing_reservations_plan_idx on housing_reservations (plan_id, status)`.execute(db);
  await sql`
    create table housing_complexes (
      complex text primary key,
      owners_total integer not null,
      owners_willing integer not null
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists housing_complexes`.execute(db);
  await sql`drop table if exists housing_reservations`.execute(db);
  await sql`drop index if exists housing_listings_certificate_idx`.execute(db);
  await sql`drop index if exists housing_listings_home_key_idx`.execute(db);
  await sql`alter table housing_listings drop column if exists new_home_contract`.execute(db);
  await sql`alter table housing_listings drop column if exists property_certificate_no`.execute(db);
  await sql`alter table housing_listings drop column if exists home_key`.execute(db);
}
