import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema';
import { activityMetadata } from '../../platform/temporal/activity-context';
import {
  type HousingDeps,
  housingEvent,
  type ListingHistory,
  listingHistory,
  need,
  PLAN_ACTOR,
  WORKER_ACTOR,
} from '../context';
import type { HousingActor } from '../contracts/definitions';
import { buildingKeyOf, housingStreams } from '../contracts/events';
import { decideListing } from '../decide/listing';
import { assessPriority as assessPriorityRule } from '../rules/plan';
import { currentHousingPolicy, housingEntryOn } from '../rules/policy';
import type { Funding } from '../rules/price';
import { screenListing as screenListingRule } from '../rules/screening';
import type { PendingDecision, ScreeningDecisions } from '../rules/types';
import { decideOnListing } from './decide';

/** 以需定购 (组织实施(二)): demand registered in a region less the listings already counted against it. */
async function unmetDemandIn(db: Kysely<Database>, region: string): Promise<number> {
  const demand = await db.selectFrom('housing_demand').select('units').where('region', '=', region).executeTakeFirst();
  const committed = await db
    .selectFrom('housing_listings')
    .select(sql<string>`count(*)`.as('n'))
    .where('region', '=', region)
    .where('committed', '=', true)
    .executeTakeFirstOrThrow();
  return (demand?.units ?? 0) - Number(committed.n);
}

function decisionsOf(history: ListingHistory, expired: boolean): ScreeningDecisions {
  const area = history.AreaExceptionDecided;
  const region = history.CaseByCaseDecided;
  return {
    ...(area ? { areaException: { granted: area.granted, reason: area.reason, by: area.by } } : {}),
    ...(region ? { caseByCase: { granted: region.granted, reason: region.reason, by: region.by } } : {}),
    expired,
  };
}

export type ScreeningResult = {
  verdict: 'eligible' | 'rejected' | 'pending';
  pending: PendingDecision[];
  reasons: string[];
};

/**
 * Screens a listing with the decisions recorded in its stream. A final verdict is recorded under a
 * lock on the region, so two listings never both take the area's last unit of demand; a retry
 * returns the verdict already recorded.
 */
export async function screenListing(
  deps: HousingDeps,
  input: { listingId: string; expired: boolean },
): Promise<ScreeningResult> {
  const stream = housingStreams.listing(input.listingId);
  const policy = currentHousingPolicy();
  // Read before the transaction: one connection per screening, never a second while holding the first.
  const history = await listingHistory(deps.store, input.listingId);
  const done = history.ListingScreened;
  if (done) return { verdict: done.verdict, pending: [], reasons: done.checks.map((c) => c.reason) };
  const listing = need(history.ListingRegistered, `listing ${input.listingId}`);
  return deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`housing-demand:${listing.region}`}))`.execute(trx);
    const unmet = await unmetDemandIn(trx, listing.region);
    const verdict = screenListingRule(listing, policy, unmet, decisionsOf(history, input.expired));
    if (verdict.verdict === 'pending')
      return { verdict: 'pending', pending: verdict.pending, reasons: verdict.checks.map((c) => c.reason) };
    const appended = await deps.store.appendWithin(
      trx,
      stream,
      [
        housingEvent(
          'ListingScreened',
          {
            listingId: input.listingId,
            verdict: verdict.verdict,
            checks: verdict.checks,
            policyVersion: policy.version,
          },
          input.listingId,
        ),
      ],
      { metadata: activityMetadata(WORKER_ACTOR) },
    );
    // A concurrent attempt may have recorded first: its verdict is the one that stands.
    const stored = appended.events[0]!.data as { verdict: 'eligible' | 'rejected'; checks: { reason: string }[] };
    return { verdict: stored.verdict, pending: [], reasons: stored.checks.map((c) => c.reason) };
  });
}

/** A task-force decision during screening: an area exception (组织实施(二)) or 一事一议 (组织实施(一)). */
/** An area exception or a case-by-case decision, decided on the listing's stream (once each). */
export async function recordScreeningDecision(
  deps: HousingDeps,
  input: { listingId: string; decision: PendingDecision; granted: boolean; reason: string; actor: HousingActor },
): Promise<void> {
  const { listingId, decision, granted, reason, actor } = input;
  await decideOnListing(deps, listingId, actor, (state) =>
    // Already on the stream: a retry after the append committed.
    state.screeningDecided.has(decision)
      ? []
      : decideListing(state, { kind: 'screening_decision', decision, actor, granted, reason }),
  );
}

export interface PriorityFacts {
  firstInLine: boolean;
  unmetDemand: number;
  amountFen: number;
  loanShareBasisPoints: number;
}

/** 组织实施(二): the listing's place in line — its building's owner share, its area's unmet demand. */
export async function assessPriority(deps: HousingDeps, input: { listingId: string }): Promise<PriorityFacts> {
  const history = await listingHistory(deps.store, input.listingId);
  const listing = need(history.ListingRegistered, `listing ${input.listingId}`);
  const entry = housingEntryOn(currentHousingPolicy(), listing.registeredOn);
  const facts = { amountFen: listing.askingFen, loanShareBasisPoints: entry.loanShareBasisPoints };
  const recorded = history.PriorityAssessed;
  if (recorded) return { firstInLine: recorded.firstInLine, unmetDemand: recorded.unmetDemand, ...facts };
  const building = await deps.db
    .selectFrom('housing_buildings')
    .select(['owners_total', 'owners_willing'])
    .where('building_key', '=', buildingKeyOf(listing.complex, listing.building))
    .executeTakeFirst();
  const intent = building ? { ownersTotal: building.owners_total, ownersWilling: building.owners_willing } : undefined;
  const complex = await deps.db
    .selectFrom('housing_complexes')
    .select(['owners_total', 'owners_willing'])
    .where('complex', '=', listing.complex)
    .executeTakeFirst();
  const complexIntent = complex
    ? { ownersTotal: complex.owners_total, ownersWilling: complex.owners_willing }
    : undefined;
  const priority = assessPriorityRule(
    intent,
    await unmetDemandIn(deps.db, listing.region),
    entry.priorityOwnerSharePercent,
    complexIntent,
  );
  await deps.store.append(
    housingStreams.listing(input.listingId),
    [housingEvent('PriorityAssessed', { listingId: input.listingId, ...priority }, input.listingId)],
    {
      metadata: activityMetadata(PLAN_ACTOR),
    },
  );
  return { firstInLine: priority.firstInLine, unmetDemand: priority.unmetDemand, ...facts };
}

export async function recordAdmission(
  deps: HousingDeps,
  input: { listingId: string; planId: string; funding: Funding },
): Promise<void> {
  await deps.store.append(
    housingStreams.listing(input.listingId),
    [
      housingEvent(
        'PurchaseAdmitted',
        { listingId: input.listingId, planId: input.planId, ...input.funding },
        input.listingId,
      ),
    ],
    { metadata: activityMetadata(PLAN_ACTOR) },
  );
}

export async function recordReminder(
  deps: HousingDeps,
  input: { listingId: string; about: 'screening_decision' | 'survey' | 'approval'; n: number },
): Promise<void> {
  await deps.store.append(
    housingStreams.listing(input.listingId),
    [housingEvent('ReminderSent', input, input.listingId, input.about, input.n)],
    {
      metadata: activityMetadata(WORKER_ACTOR),
    },
  );
}
