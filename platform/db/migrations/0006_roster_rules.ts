import { type Kysely, sql } from 'kysely';

/**
 * The annual roster, roster conflicts and the reviewer's note (DOMAIN.md, "Decisions on cases the Measure leaves open").
 * Both tables are projections of roster events, rebuilt by `audit rebuild`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // People of a jurisdiction in an annual roster who are missing from it: they exit on 1 January.
  await sql`
    create table roster_exits (
      person_ref text not null,
      version integer not null,
      year integer not null,
      jurisdiction text not null,
      exited_on date not null,
      reason text not null,
      primary key (person_ref, version)
    )`.execute(db);
  await sql`create index roster_exits_jurisdiction_idx on roster_exits (jurisdiction, year)`.execute(db);
  // One person on two different lines of one roster file: neither line is taken until a later roster resolves it.
  await sql`
    create table roster_conflicts (
      person_ref text not null,
      version integer not null,
      lines integer[] not null,
      jurisdictions text[] not null,
      resolved_version integer,
      primary key (person_ref, version)
    )`.execute(db);
  // The reviewer's free-text reason (review_reason keeps the code: rejected's reason, exclude's 第七条 code).
  await sql`alter table entitlements add column review_note text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table entitlements drop column review_note`.execute(db);
  await sql`drop table roster_conflicts`.execute(db);
  await sql`drop table roster_exits`.execute(db);
}
