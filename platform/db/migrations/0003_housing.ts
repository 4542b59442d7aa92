import { type Kysely, sql } from 'kysely';

/**
 * Purchases of existing housing (许政办〔2025〕10号). Every table here is a projection of the housing
 * events (housing/projection/projection.ts), rebuilt by `audit rebuild`; timestamps come from the events, never
 * from now(), so a rebuild reproduces them exactly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table housing_listings (
      listing_id text primary key,
      kind text not null,
      region text not null,
      address text not null,
      complex text not null,
      building text not null,
      unit text not null,
      floor_area_dm2 integer not null,
      asking_fen bigint not null,
      seller_ref text not null,
      registered_on date not null,
      stage text not null,
      status text not null,
      committed boolean not null,
      first_in_line boolean,
      capital_fen bigint,
      loan_fen bigint,
      appraisal_fen bigint,
      cap_fen bigint,
      agreed_fen bigint,
      monthly_rent_fen bigint,
      certificate_no text,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`create index housing_listings_stage_idx on housing_listings (stage)`.execute(db);
  await sql`create index housing_listings_region_idx on housing_listings (region) where committed`.execute(db);
  await sql`
    create table housing_demand (
      region text primary key,
      units integer not null
    )`.execute(db);
  await sql`
    create table housing_buildings (
      building_key text primary key,
      complex text not null,
      building text not null,
      owners_total integer not null,
      owners_willing integer not null
    )`.execute(db);
  await sql`
    create table housing_rental_stock (
      listing_id text primary key,
      region text not null,
      floor_area_dm2 integer not null,
      monthly_rent_fen bigint not null,
      price_fen bigint not null,
      handed_over_at timestamptz not null
    )`.execute(db);
  await sql`
    create table housing_plan_funds (
      plan_id text not null,
      source text not null,
      total_fen bigint not null,
      primary key (plan_id, source)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'housing_plan_funds',
    'housing_rental_stock',
    'housing_buildings',
    'housing_demand',
    'housing_listings',
  ]) {
    await sql`drop table if exists ${sql.id(table)}`.execute(db);
  }
}
