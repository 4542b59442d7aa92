import { sql } from 'kysely';
import { z } from 'zod';
import { canSeePersonalData, maskIdNumber } from '../../../platform/security/masking';
import { cycleIdFor } from '../../../subsidy/contracts/definitions';
import { type Lang as ExplanationLang, renderExplanation } from '../../../subsidy/rules/explain';
import type { ApiDeps } from '../deps';

// What the console reads straight from the query tables: the filtered, paged lists with totals that
// the JSON API does not offer. Every function takes the scope the caller checked (assertJurisdiction).

const blankToUndefined = (value: unknown) => (value === '' || value === null ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const yuanToFen = z
  .string()
  .regex(/^\d{1,9}(\.\d{1,2})?$/, 'yuan, e.g. 12.50')
  .transform((text) => {
    const [whole, part = ''] = text.split('.');
    return Number(whole) * 100 + Number(part.padEnd(2, '0'));
  });

export const itemFilters = z.object({
  status: optional(z.enum(['pending', 'approved', 'rejected', 'excluded'])),
  category: optional(z.string().max(40)),
  kind: optional(z.string().max(40)),
  amountMin: optional(yuanToFen),
  amountMax: optional(yuanToFen),
  nightsMin: optional(z.coerce.number().int().min(0).max(400)),
  nightsMax: optional(z.coerce.number().int().min(0).max(400)),
  q: optional(z.string().trim().max(64)),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).default(1)),
});
export type ItemFilters = z.infer<typeof itemFilters>;
export const PAGE_SIZE = 50;

export interface ItemRow {
  seq: number;
  paymentId: string;
  recordIds: string[];
  name: string;
  idNumber: string;
  category: string;
  kind: string;
  nights: number;
  amountFen: number;
  cityShareFen: number;
  countyShareFen: number;
  reviewStatus: string;
  reviewReason: string | null;
  paymentStatus: string;
  explanation: string[];
}

/** A page of a county's items with the count and amount of everything the filters match. */
export async function reviewItems(
  deps: ApiDeps,
  role: string,
  quarter: string,
  jurisdiction: string,
  f: ItemFilters,
  lang: ExplanationLang = 'zh',
) {
  const cycleId = cycleIdFor(quarter);
  const reveal = canSeePersonalData(role);
  let query = deps.db
    .selectFrom('entitlements')
    .where('cycle_id', '=', cycleId)
    .where('jurisdiction', '=', jurisdiction);
  if (f.status) query = query.where('review_status', '=', f.status);
  if (f.category) query = query.where('category', '=', f.category);
  if (f.kind) query = query.where('kind', '=', f.kind);
  if (f.amountMin !== undefined) query = query.where('amount_fen', '>=', String(f.amountMin));
  if (f.amountMax !== undefined) query = query.where('amount_fen', '<=', String(f.amountMax));
  if (f.nightsMin !== undefined) query = query.where('nights', '>=', f.nightsMin);
  if (f.nightsMax !== undefined) query = query.where('nights', '<=', f.nightsMax);
  if (f.q) {
    const q = f.q;
    if (/^\d{1,6}$/.test(q)) query = query.where('seq', '=', Number(q));
    // A search by ID number only for roles that see ID numbers: others could probe who is paid.
    else if (/^\d{17}[\dXx]$/.test(q) && reveal)
      query = query.where('person_ref', '=', deps.subsidy.vault.personRef(q));
    else
      query = query.where((eb) =>
        eb.or([eb('payment_id', '=', q), eb(sql<string>`${q}`, '=', eb.fn.any('record_ids'))]),
      );
  }
  const totals = await query
    .select((eb) => [eb.fn.countAll<string>().as('count'), sql<string>`coalesce(sum(amount_fen), 0)`.as('amount')])
    .executeTakeFirstOrThrow();
  const count = Number(totals.count);
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
  const page = Math.min(f.page, pages);
  const rows = await query
    .selectAll()
    .orderBy('seq')
    .offset((page - 1) * PAGE_SIZE)
    .limit(PAGE_SIZE)
    .execute();
  const explanations =
    rows.length === 0
      ? []
      : await deps.db
          .selectFrom('row_outcomes')
          .select(['payment_id', 'explanation'])
          .where('cycle_id', '=', cycleId)
          .where(
            'payment_id',
            'in',
            rows.map((r) => r.payment_id),
          )
          .orderBy('line_no')
          .execute();
  const people = await deps.subsidy.vault.getMany(rows.map((r) => r.person_ref));
  const items: ItemRow[] = rows.map((r) => {
    const person = people.get(r.person_ref);
    return {
      seq: r.seq,
      paymentId: r.payment_id,
      recordIds: r.record_ids,
      name: person?.name ?? '',
      idNumber: person ? (reveal ? person.idNumber : maskIdNumber(person.idNumber)) : '',
      category: r.category,
      kind: r.kind,
      nights: r.nights,
      amountFen: Number(r.amount_fen),
      cityShareFen: Number(r.city_share_fen),
      countyShareFen: Number(r.county_share_fen),
      reviewStatus: r.review_status,
      reviewReason: r.review_reason,
      paymentStatus: r.payment_status,
      // Structured facts from the rules core, rendered in the console's language (older rows hold sentences).
      explanation: renderExplanation(
        explanations.filter((e) => e.payment_id === r.payment_id).flatMap((e) => e.explanation),
        lang,
      ),
    };
  });
  return { items, count, amountFen: Number(totals.amount), page, pages };
}

/** The distinct categories and kinds of a county's items, for the filter lists. */
export async function filterChoices(deps: ApiDeps, quarter: string, jurisdiction: string) {
  const base = deps.db
    .selectFrom('entitlements')
    .where('cycle_id', '=', cycleIdFor(quarter))
    .where('jurisdiction', '=', jurisdiction);
  const [categories, kinds] = await Promise.all([
    base.select('category').distinct().orderBy('category').execute(),
    base.select('kind').distinct().orderBy('kind').execute(),
  ]);
  return { categories: categories.map((c) => c.category), kinds: kinds.map((k) => k.kind) };
}

/** Review counts from the query table (used when the review workflow cannot be asked). */
export async function reviewCounts(deps: ApiDeps, quarter: string, jurisdiction?: string) {
  let query = deps.db
    .selectFrom('entitlements')
    .select(['jurisdiction', 'review_status', 'payment_status'])
    .select((eb) => [eb.fn.countAll<string>().as('n'), sql<string>`sum(amount_fen)`.as('fen')])
    .where('cycle_id', '=', cycleIdFor(quarter))
    .groupBy(['jurisdiction', 'review_status', 'payment_status']);
  if (jurisdiction) query = query.where('jurisdiction', '=', jurisdiction);
  return (await query.execute()).map((r) => ({
    jurisdiction: r.jurisdiction,
    review: r.review_status,
    payment: r.payment_status,
    n: Number(r.n),
    fen: Number(r.fen),
  }));
}

/** The quarters that have a regular cycle, newest first. */
export async function quarters(deps: ApiDeps): Promise<string[]> {
  const rows = await deps.db
    .selectFrom('subsidy_cycles')
    .select('quarter')
    .distinct()
    .orderBy('quarter', 'desc')
    .execute();
  return rows.map((r) => r.quarter);
}

export async function cycleRow(deps: ApiDeps, quarter: string) {
  return deps.db
    .selectFrom('subsidy_cycles')
    .selectAll()
    .where('cycle_id', '=', cycleIdFor(quarter))
    .executeTakeFirst();
}

export async function fundingRequests(deps: ApiDeps, quarter: string, jurisdiction?: string) {
  let query = deps.db
    .selectFrom('funding_requests')
    .selectAll()
    .where('cycle_id', '=', cycleIdFor(quarter))
    .orderBy('jurisdiction');
  if (jurisdiction) query = query.where('jurisdiction', '=', jurisdiction);
  return (await query.execute()).map((r) => ({
    jurisdiction: r.jurisdiction,
    payments: r.payments,
    amountFen: Number(r.amount_fen),
    cityShareFen: Number(r.city_share_fen),
    countyShareFen: Number(r.county_share_fen),
    status: r.status,
    confirmedBy: r.confirmed_by,
  }));
}

/** Escalations and reminders the cycle recorded (CycleNotice events), newest first. */
export async function cycleNotices(deps: ApiDeps, quarter: string) {
  const rows = await deps.db
    .selectFrom('events')
    .select(['data', 'recorded_at'])
    .where('stream_id', '=', cycleIdFor(quarter))
    .where('type', '=', 'CycleNotice')
    .orderBy('position', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({
    notice: String(r.data.notice),
    jurisdiction: typeof r.data.jurisdiction === 'string' ? r.data.jurisdiction : undefined,
    at: r.recorded_at,
  }));
}

export async function heldPayments(deps: ApiDeps, jurisdiction?: string) {
  let query = deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'cycle_id', 'jurisdiction', 'seq', 'amount_fen', 'attempt', 'held_reason'])
    .where('payment_status', '=', 'held')
    .orderBy('cycle_id')
    .orderBy('jurisdiction')
    .orderBy('seq')
    .limit(1_000);
  if (jurisdiction) query = query.where('jurisdiction', '=', jurisdiction);
  return (await query.execute()).map((r) => ({ ...r, amount_fen: Number(r.amount_fen) }));
}

export async function housingBoard(deps: ApiDeps) {
  const rows = await deps.db
    .selectFrom('housing_listings')
    .select(['listing_id', 'kind', 'region', 'address', 'stage', 'status', 'asking_fen', 'updated_at'])
    .orderBy('updated_at')
    .limit(2_000)
    .execute();
  const byStage = new Map<string, typeof rows>();
  for (const row of rows) byStage.set(row.stage, [...(byStage.get(row.stage) ?? []), row]);
  return [...byStage.entries()].map(([stage, listings]) => ({
    stage,
    listings: listings.map((l) => ({ ...l, asking_fen: Number(l.asking_fen) })),
  }));
}

/** Payments the bank has not answered definitely, and breaks against its statement still open, of a cycle. */
export async function bankAttention(deps: ApiDeps, quarter: string, jurisdiction?: string) {
  const cycleId = cycleIdFor(quarter);
  let doubt = deps.db
    .selectFrom('entitlements')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('cycle_id', '=', cycleId)
    .where('payment_status', '=', 'in_doubt');
  let breaks = deps.db
    .selectFrom('reconciliation_breaks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('cycle_id', '=', cycleId)
    .where('status', '=', 'open');
  if (jurisdiction) {
    doubt = doubt.where('jurisdiction', '=', jurisdiction);
    breaks = breaks.where('jurisdiction', '=', jurisdiction);
  }
  const [d, b] = await Promise.all([doubt.executeTakeFirstOrThrow(), breaks.executeTakeFirstOrThrow()]);
  return { inDoubt: Number(d.n), openBreaks: Number(b.n) };
}

// --- the city dashboard's charts: computed here, in SQL over the projections ---------------------

/** Approved-or-pending amount (not rejected or excluded) per county and quarter, regular and back-pay runs, over the last `span` quarters up to `quarter`. */
export async function amountsByQuarter(deps: ApiDeps, quarter: string, span = 8) {
  const rows = await deps.db
    .selectFrom('entitlements as e')
    .innerJoin('subsidy_cycles as c', 'c.cycle_id', 'e.cycle_id')
    .select(['c.quarter', 'e.jurisdiction'])
    .select(sql<string>`sum(e.amount_fen)`.as('fen'))
    .where('c.quarter', '<=', quarter)
    .where('e.review_status', 'not in', ['rejected', 'excluded'])
    .groupBy(['c.quarter', 'e.jurisdiction'])
    .execute();
  const quarters = [...new Set(rows.map((r) => r.quarter))].sort().slice(-span);
  return {
    quarters,
    rows: rows.filter((r) => quarters.includes(r.quarter)).map((r) => ({ ...r, fen: Number(r.fen) })),
  };
}

/** Upper bounds of the cap-usage buckets (nights of the 60-night yearly cap, 第四条); the last is the cap itself. */
export const CAP_BUCKETS = [10, 20, 30, 40, 50, 59, 60] as const;

/**
 * How much of the yearly cap each person has used in the quarter's year: nights granted (not
 * rejected or excluded) by every run of that year, counted by the night's own year, in buckets.
 */
export async function capUsage(deps: ApiDeps, quarter: string) {
  const year = Number(quarter.slice(0, 4));
  const result = await sql<{ bucket: number; people: string }>`
    with used as (
      select e.person_ref, count(*) as nights
      from entitlements e
      join subsidy_cycles c on c.cycle_id = e.cycle_id,
      unnest(e.night_dates) as d
      where c.quarter between ${`${year}Q1`} and ${`${year + 1}Q4`}
        and e.review_status not in ('rejected', 'excluded')
        and d >= make_date(${year}, 1, 1) and d < make_date(${year + 1}, 1, 1)
      group by e.person_ref
    )
    select case ${sql.raw(CAP_BUCKETS.map((b, i) => `when nights <= ${b} then ${i}`).join(' '))} else ${CAP_BUCKETS.length - 1} end as bucket,
           count(*) as people
    from used group by 1 order by 1`.execute(deps.db);
  const people = CAP_BUCKETS.map(() => 0);
  for (const r of result.rows) people[Number(r.bucket)] = Number(r.people);
  return { year, buckets: [...CAP_BUCKETS], people };
}

/** Input rows of the quarter's regular cycle by outcome (paid, not_eligible, excluded, quarantined) and reason. */
export async function rowsByOutcome(deps: ApiDeps, quarter: string) {
  const rows = await deps.db
    .selectFrom('row_outcomes')
    .select(['outcome', 'reason'])
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('cycle_id', '=', cycleIdFor(quarter))
    .groupBy(['outcome', 'reason'])
    .execute();
  return rows.map((r) => ({ outcome: r.outcome, reason: r.reason, n: Number(r.n) }));
}

/** Rows of an extract committed so far (the ingest commits in chunks, so this grows while it runs). */
export async function ingestedRows(deps: ApiDeps, extractHash: string): Promise<number> {
  const row = await deps.db
    .selectFrom('extract_rows')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('extract_hash', '=', extractHash)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
