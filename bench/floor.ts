// The floor for bench:cycle: the same job done by hand in PostgreSQL, on the same server and files —
// COPY the roster and the extract into scratch tables, classify every row and compute capped nights
// in one set-based pass, COPY the report and the payments out. What the cycle is measured against.
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { JURISDICTIONS } from '../subsidy/rules/jurisdictions';
import { CATEGORIES, EXCLUSION_CODES } from '../subsidy/rules/types';

export interface FloorResult {
  seconds: number;
  stages: { name: string; seconds: number }[];
  reportRows: number;
  payments: number;
  paidFen: number;
  /** Report rows per outcome (quarantined, duplicate_record, not_on_roster, excluded, not_eligible, paid). */
  outcomes: Record<string, number>;
}

const literalList = (values: readonly string[]) => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/** GB 11643: 18 characters, the 18th the ISO 7064 check of the first 17. CASE so no cast runs on a bad format. */
function idValid(col: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.map((w, i) => `${w} * substr(${col}, ${i + 1}, 1)::int`).join(' + ');
  return `(case when ${col} ~ '^[0-9]{17}[0-9X]$' then substr('10X98765432', (${sum}) % 11 + 1, 1) = substr(${col}, 18, 1) else false end)`;
}
const dateValid = (col: string) => `(${col} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and pg_input_is_valid(${col}, 'date'))`;
const asDate = (col: string) => `(case when ${dateValid(col)} then ${col}::date end)`;

/**
 * One pass: roster rows valid and first per ID number; extract rows classified (quarantined, exact
 * repeat, not on the roster, excluded, not eligible, paid) and their nights capped at 60 per person
 * and year. An approximation of the rules core, close enough to be the floor's work, not its result:
 * overlaps are cut against the running latest discharge of the person's earlier stays; a stay's nights
 * count for its admission year (no split at 31 December); roster and age windows clip the stay as one
 * interval; the cap is a running sum in admission order, ignoring nights paid in earlier cycles.
 */
const classifySql = `
create unlogged table floor_outcome as
with roster as (
  select distinct on (id_number) id_number, name, jurisdiction, category, bank_code, account_no,
         ${asDate('birth_date')} as birth, ${asDate('female_birth_date')} as female_birth,
         ${asDate('enrolled_on')} as enrolled, ${asDate('exited_on')} as exited
  from floor_roster
  where ${idValid('id_number')} and jurisdiction in (${literalList(JURISDICTIONS.map((j) => j.code))})
    and category in (${literalList(CATEGORIES)}) and ${dateValid('birth_date')} and ${dateValid('enrolled_on')}
    and coalesce(name, '') <> '' and coalesce(bank_code, '') <> '' and coalesce(account_no, '') <> ''
    and (coalesce(exited_on, '') = '' or ${dateValid('exited_on')})
  order by id_number, line
),
rows as (
  select e.*,
         count(*) over same_id as copies,
         -- One record id with two different contents (window functions have no count(distinct)).
         min(concat_ws('|', e.id_number, e.hospital, e.admission_date, e.discharge_date, e.exclusion)) over same_id
           <> max(concat_ws('|', e.id_number, e.hospital, e.admission_date, e.discharge_date, e.exclusion)) over same_id as conflicting,
         row_number() over (partition by record_id order by line) as nth,
         ${asDate('admission_date')} as a, ${asDate('discharge_date')} as d
  from floor_extract e
  window same_id as (partition by record_id)
),
checked as (
  select r.*,
         case
           when coalesce(record_id, '') = '' or coalesce(id_number, '') = '' or coalesce(admission_date, '') = '' or coalesce(discharge_date, '') = '' then 'missing_field'
           when not ${idValid('id_number')} then 'bad_id'
           when a is null or d is null then 'impossible_date'
           when d < a then 'discharge_before_admission'
           when d > current_date then 'future_date'
           when coalesce(exclusion, '') not in ('', ${literalList(EXCLUSION_CODES)}) then 'unknown_exclusion'
           when conflicting then 'duplicate_conflict'
         end as quarantine
  from rows r
),
kept as (
  -- Every row goes on (no self-join later); only valid first copies of a record id count nights,
  -- over [a, d) with a same-day stay one night.
  select c.line, c.record_id, c.id_number, c.exclusion, c.quarantine, c.nth,
         c.quarantine is null and c.nth = 1 as ok,
         c.a, case when c.d = c.a then c.a + 1 else c.d end as d_end,
         ro.id_number is not null as on_roster, ro.category, ro.jurisdiction, ro.enrolled, ro.exited,
         case when ro.category = 'one_child_parent' then ro.birth + interval '60 years' else ro.female_birth + interval '49 years' end as of_age
  from checked c left join roster ro on ro.id_number = c.id_number and c.quarantine is null
),
cut as (
  -- Overlaps: a night already covered by an earlier-admitted stay of the person is not counted again.
  select k.*,
         greatest(k.a, coalesce(max(k.d_end) over (partition by k.ok, k.id_number order by k.a, k.record_id rows between unbounded preceding and 1 preceding), k.a)) as from_day
  from kept k
),
nights as (
  select c.*,
         case when ok and on_roster and coalesce(exclusion, '') = '' then
           greatest(0, least(d_end, coalesce(exited, d_end)) - greatest(from_day, enrolled, coalesce(of_age::date, d_end)))
         else 0 end as counted
  from cut c
),
capped as (
  select n.*,
         greatest(0, least(counted, 60 - (sum(counted) over (partition by ok, id_number, extract(year from a) order by a, record_id) - counted))) as paid_nights
  from nights n
)
select line, record_id,
       case when quarantine is not null then 'quarantined:' || quarantine
            when nth > 1 then 'duplicate_record'
            when not on_roster then 'not_on_roster'
            when coalesce(exclusion, '') <> '' then 'excluded:' || exclusion
            when paid_nights = 0 then 'not_eligible'
            else 'paid' end as outcome,
       id_number, jurisdiction, paid_nights as nights,
       paid_nights * case category when 'one_child_parent' then 10000 else 15000 end as fen
from capped
`;

/** Runs the floor on `databaseUrl` with the bench's own files; writes the report and payments to `outDir`. */
export async function measureFloor(
  databaseUrl: string,
  files: { roster: string; hospitalizations: string },
  out: { report: string; payments: string },
): Promise<FloorResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const stages: { name: string; seconds: number }[] = [];
  let last = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    stages.push({ name, seconds: (now - last) / 1000 });
    last = now;
  };
  const t0 = last;
  try {
    await client.query('drop table if exists floor_roster, floor_extract, floor_outcome');
    // Text columns: bad rows must reach the classification, not fail the COPY.
    await client.query(`create unlogged table floor_roster (line bigint generated always as identity, id_number text, name text, gender text,
      birth_date text, female_birth_date text, jurisdiction text, category text, bank_code text, account_no text, enrolled_on text, exited_on text)`);
    await client.query(`create unlogged table floor_extract (line bigint generated always as identity, record_id text, id_number text, name text,
      hospital text, admission_date text, discharge_date text, exclusion text)`);
    await pipeline(
      createReadStream(files.roster),
      client.query(
        copyFrom(
          `copy floor_roster (id_number, name, gender, birth_date, female_birth_date, jurisdiction, category, bank_code, account_no, enrolled_on, exited_on) from stdin (format csv, header true)`,
        ),
      ),
    );
    await pipeline(
      createReadStream(files.hospitalizations),
      client.query(
        copyFrom(
          `copy floor_extract (record_id, id_number, name, hospital, admission_date, discharge_date, exclusion) from stdin (format csv, header true)`,
        ),
      ),
    );
    await client.query('analyze floor_roster, floor_extract');
    lap('COPY in');
    await client.query(classifySql);
    lap('classify + cap');
    await pipeline(
      client.query(
        copyTo(
          `copy (select record_id, outcome, nights, fen from floor_outcome order by line) to stdout (format csv, header true)`,
        ),
      ),
      createWriteStream(out.report),
    );
    await pipeline(
      client.query(
        copyTo(`copy (select id_number, jurisdiction, sum(fen) as fen, sum(fen) * 4 / 10 as city_fen, sum(fen) - sum(fen) * 4 / 10 as county_fen
                      from floor_outcome where outcome = 'paid' group by id_number, jurisdiction order by id_number) to stdout (format csv, header true)`),
      ),
      createWriteStream(out.payments),
    );
    lap('COPY out');
    const seconds = (performance.now() - t0) / 1000;
    const figures = await client.query<{ rows: string; payments: string; fen: string }>(
      `select count(*) as rows, count(distinct id_number) filter (where outcome = 'paid') as payments, coalesce(sum(fen), 0) as fen from floor_outcome`,
    );
    const f = figures.rows[0]!;
    const byOutcome = await client.query<{ outcome: string; n: string }>(
      `select split_part(outcome, ':', 1) as outcome, count(*) as n from floor_outcome group by 1 order by 1`,
    );
    const outcomes = Object.fromEntries(byOutcome.rows.map((r) => [r.outcome, Number(r.n)]));
    return {
      seconds,
      stages,
      reportRows: Number(f.rows),
      payments: Number(f.payments),
      paidFen: Number(f.fen),
      outcomes,
    };
  } finally {
    await client.query('drop table if exists floor_roster, floor_extract, floor_outcome').catch(() => {});
    await client.end();
  }
}
