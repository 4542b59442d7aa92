import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import { decideOnStream, type NewEvent } from '../../platform/eventstore';
import { activityMetadata, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import type { Actor, CycleSummary, ReconciliationLine, ReviewDecision } from '../contracts/definitions';
import { type SubsidyEvent, streams } from '../contracts/events';
import {
  decideReview,
  decisionRecorded,
  evolveReview,
  openReview,
  type ReviewDecided,
  type ReviewEvent,
  ReviewRefused,
  type ReviewState,
} from '../decide/review';
import { CalendarNotCoveredError, cycleDeadlinesFor, shanghaiToday } from '../rules/calendar';
import { reconcileWithBank } from './bank-reconciliation';
import { workingCalendar } from './holidays';

/**
 * 第十条's deadlines for a cycle, as ISO instants in China Standard Time, with the escalation points;
 * `provisional` when a year's official arrangement is not loaded yet (the cycle re-reads them later).
 */
export function cycleDeadlines(deps: Pick<SubsidyDeps, 'holidaysDir'>, input: { quarter: string }) {
  try {
    return cycleDeadlinesFor(input.quarter, workingCalendar(deps.holidaysDir));
  } catch (error) {
    if (error instanceof CalendarNotCoveredError)
      throw ApplicationFailure.nonRetryable(error.message, 'CalendarNotCovered');
    throw error;
  }
}

/**
 * The check of 1 November and 1 December: when next year's official holiday arrangement is neither
 * bundled nor imported, the city health commission is warned (an event, once per check date).
 */
export async function checkHolidayArrangement(
  deps: SubsidyDeps,
  input: { checkedAt: string },
): Promise<{ year: number; missing: boolean }> {
  const checkedOn = shanghaiToday(new Date(input.checkedAt));
  const year = Number(checkedOn.slice(0, 4)) + 1;
  const missing = workingCalendar(deps.holidaysDir).sourceOf(year) === 'provisional';
  if (missing) {
    await deps.store.append(
      streams.calendar,
      [
        subsidyEvent(
          'HolidayArrangementMissing',
          {
            year,
            checkedOn,
            to: 'city_health_commission',
            action: `npm run cli -- calendar import FILE (the State Council's ${year} holiday notice)`,
          },
          'holiday-arrangement',
          year,
          checkedOn,
        ),
      ],
      { metadata: activityMetadata(SYSTEM_ACTOR) },
    );
  }
  return { year, missing };
}

/** A review's event with its content-derived id (a retry appends nothing new). */
function reviewEvent(event: ReviewDecided, approved?: Awaited<ReturnType<typeof approvedTotals>>): NewEvent {
  const { cycleId, jurisdiction } = event.data;
  if (event.type === 'ReviewDecisionRecorded')
    return subsidyEvent(event.type, event.data, cycleId, jurisdiction, 'decision', event.data.decisionNo);
  const totals = { approved: approved?.payments ?? 0, approvedFen: approved?.amountFen ?? 0 };
  return subsidyEvent(event.type, { ...event.data, ...totals }, cycleId, jurisdiction, 'submitted');
}

/** Decides a command on the review's own stream (fold → decide → append at that version); a refusal is final. */
async function decideOnReview(
  deps: SubsidyDeps,
  review: { cycleId: string; jurisdiction: string; openingItems: number },
  actor: Actor,
  decide: (state: ReviewState) => NewEvent[],
): Promise<void> {
  const { cycleId, jurisdiction, openingItems } = review;
  try {
    await decideOnStream(
      deps.store,
      streams.review(cycleId, jurisdiction),
      {
        initial: openReview(cycleId, jurisdiction, openingItems),
        evolve: (state, event) => evolveReview(state, event as unknown as ReviewEvent),
        decide,
      },
      activityMetadata(actor),
    );
  } catch (error) {
    if (error instanceof ReviewRefused) throw ApplicationFailure.nonRetryable(error.message, 'ReviewRefused');
    throw error;
  }
}

export async function recordReviewDecision(
  deps: SubsidyDeps,
  input: {
    cycleId: string;
    jurisdiction: string;
    request: ReviewDecision;
    decisionNo: number;
    resolvedCount: number;
    /** The items the review opened with (absent from workflows started before reviews decided from their stream). */
    openingItems?: number;
  },
): Promise<void> {
  const { request } = input;
  if (input.openingItems === undefined) {
    // Without the opening count the stream cannot resolve a selection: recorded as the workflow decided it.
    const recorded = decisionRecorded(input, request, input.decisionNo, input.resolvedCount);
    await deps.store.append(streams.review(input.cycleId, input.jurisdiction), [reviewEvent(recorded)], {
      metadata: activityMetadata(request.actor),
    });
    return;
  }
  const review = { ...input, openingItems: input.openingItems };
  await decideOnReview(deps, review, request.actor, (state) => {
    // A retry after the append committed: already recorded.
    if (state.decisions >= input.decisionNo) return [];
    const decided = decideReview(state, { kind: 'decide_items', request });
    const recorded = decided[0]!;
    if (recorded.type !== 'ReviewDecisionRecorded' || recorded.data.decisionNo !== input.decisionNo) {
      const message = `review ${input.jurisdiction}: the stream is at decision ${state.decisions}, the workflow at ${input.decisionNo - 1}`;
      throw ApplicationFailure.nonRetryable(message, 'ReviewOutOfStep');
    }
    return decided.map((event) => reviewEvent(event));
  });
}

async function approvedTotals(deps: SubsidyDeps, cycleId: string, jurisdiction: string) {
  const row = await deps.db
    .selectFrom('entitlements')
    .select([
      sql<string>`count(*)`.as('payments'),
      sql<string>`coalesce(sum(amount_fen), 0)`.as('amount'),
      sql<string>`coalesce(sum(city_share_fen), 0)`.as('city'),
      sql<string>`coalesce(sum(county_share_fen), 0)`.as('county'),
    ])
    .where('cycle_id', '=', cycleId)
    .where('jurisdiction', '=', jurisdiction)
    .where('review_status', '=', 'approved')
    .executeTakeFirstOrThrow();
  return {
    payments: Number(row.payments),
    amountFen: Number(row.amount),
    cityShareFen: Number(row.city),
    countyShareFen: Number(row.county),
  };
}

export async function submitReview(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; actor: Actor; openingItems?: number },
): Promise<void> {
  const totals = await approvedTotals(deps, input.cycleId, input.jurisdiction);
  // Without the opening count (older workflows) the workflow's validator has already counted the undecided items.
  const review = { ...input, openingItems: input.openingItems ?? 0 };
  await decideOnReview(deps, review, input.actor, (state) =>
    state.submitted
      ? []
      : decideReview(state, { kind: 'submit', actor: input.actor }).map((event) => reviewEvent(event, totals)),
  );
}

/** The county's quarterly funding request (拨款申请, 第八条/第十条 step 4): the sums of the approved payments' own splits. */
export async function requestFunding(deps: SubsidyDeps, input: { cycleId: string; jurisdiction: string }) {
  const totals = await approvedTotals(deps, input.cycleId, input.jurisdiction);
  await deps.store.append(
    streams.funding(input.cycleId, input.jurisdiction),
    [
      subsidyEvent(
        'FundingRequested',
        { cycleId: input.cycleId, jurisdiction: input.jurisdiction, ...totals },
        input.cycleId,
        input.jurisdiction,
        'requested',
      ),
    ],
    { metadata: activityMetadata(SYSTEM_ACTOR) },
  );
  return totals;
}

export async function confirmFunding(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; actor: Actor },
): Promise<void> {
  await deps.store.append(
    streams.funding(input.cycleId, input.jurisdiction),
    [
      subsidyEvent(
        'FundingConfirmed',
        { cycleId: input.cycleId, jurisdiction: input.jurisdiction, actor: input.actor },
        input.cycleId,
        input.jurisdiction,
        'confirmed',
      ),
    ],
    { metadata: activityMetadata(input.actor) },
  );
}

/** Reminders, escalations and other notices of a cycle: recorded once per (type, key). */
export async function recordCycleEvent(
  deps: SubsidyDeps,
  input: { cycleId: string; type: string; key: string; data: Record<string, unknown> },
): Promise<void> {
  const event: SubsidyEvent = {
    type: 'CycleNotice',
    data: { cycleId: input.cycleId, notice: input.type, ...input.data },
  };
  await deps.store.append(
    streams.cycle(input.cycleId),
    [subsidyEvent(event.type, event.data, input.cycleId, 'notice', input.type, input.key)],
    {
      metadata: activityMetadata(SYSTEM_ACTOR),
    },
  );
}

/**
 * Closes a cycle with its three-way reconciliation per jurisdiction: approved = instructed =
 * settled + held. The summary is an event; the cycle's figures can be rebuilt from events alone.
 */
export async function closeCycle(deps: SubsidyDeps, input: { cycleId: string }): Promise<CycleSummary> {
  // The bank first: settlements it booked that we missed are recorded, differences become breaks.
  const bank = await reconcileWithBank(deps, input);
  const cycle = await deps.db
    .selectFrom('subsidy_cycles')
    .select(['quarter'])
    .where('cycle_id', '=', input.cycleId)
    .executeTakeFirstOrThrow();
  const lines = await deps.db
    .selectFrom('entitlements')
    .select([
      'jurisdiction',
      sql<string>`count(*) filter (where review_status = 'approved')`.as('approved'),
      sql<string>`count(*) filter (where review_status = 'approved' and payment_status <> 'not_instructed')`.as(
        'instructed',
      ),
      sql<string>`count(*) filter (where payment_status = 'settled')`.as('settled'),
      sql<string>`count(*) filter (where payment_status = 'held')`.as('held'),
      sql<string>`coalesce(sum(amount_fen) filter (where review_status = 'approved'), 0)`.as('approved_fen'),
      sql<string>`coalesce(sum(amount_fen) filter (where payment_status = 'settled'), 0)`.as('settled_fen'),
      sql<string>`coalesce(sum(amount_fen) filter (where payment_status = 'held'), 0)`.as('held_fen'),
      sql<string>`coalesce(sum(city_share_fen) filter (where review_status = 'approved'), 0)`.as('city_fen'),
      sql<string>`coalesce(sum(county_share_fen) filter (where review_status = 'approved'), 0)`.as('county_fen'),
    ])
    .where('cycle_id', '=', input.cycleId)
    .groupBy('jurisdiction')
    .orderBy('jurisdiction')
    .execute();
  const reconciliation: ReconciliationLine[] = lines.map((l) => {
    const line = {
      jurisdiction: l.jurisdiction,
      approved: Number(l.approved),
      instructed: Number(l.instructed),
      settled: Number(l.settled),
      held: Number(l.held),
      approvedFen: Number(l.approved_fen),
      settledFen: Number(l.settled_fen),
      heldFen: Number(l.held_fen),
      cityShareFen: Number(l.city_fen),
      countyShareFen: Number(l.county_fen),
    };
    return {
      ...line,
      balanced:
        line.approved === line.instructed &&
        line.instructed === line.settled + line.held &&
        line.approvedFen === line.settledFen + line.heldFen &&
        line.cityShareFen + line.countyShareFen === line.approvedFen,
    };
  });
  const outcomes = await deps.db
    .selectFrom('row_outcomes')
    .select(['outcome', sql<string>`count(*)`.as('n')])
    .where('cycle_id', '=', input.cycleId)
    .groupBy('outcome')
    .execute();
  const count = (o: string) => Number(outcomes.find((r) => r.outcome === o)?.n ?? 0);
  const rows = {
    paid: count('paid'),
    notEligible: count('not_eligible'),
    excluded: count('excluded'),
    quarantined: count('quarantined'),
    total: 0,
  };
  rows.total = rows.paid + rows.notEligible + rows.excluded + rows.quarantined;
  const summary: CycleSummary = {
    cycleId: input.cycleId,
    quarter: cycle.quarter,
    rows,
    reconciliation,
    bank: {
      entries: bank.entries,
      bankSettledFen: bank.bankSettledFen,
      booksSettledFen: bank.booksSettledFen,
      openBreaks: bank.openBreaks,
      notFinal: bank.notFinal,
    },
    // Balanced only when our books add up AND the bank's statement says the same, payment by payment.
    balanced:
      reconciliation.every((l) => l.balanced) && bank.openBreaks === 0 && bank.bankSettledFen === bank.booksSettledFen,
  };
  await deps.store.append(
    streams.cycle(input.cycleId),
    [
      subsidyEvent(
        'CycleClosed',
        { cycleId: input.cycleId, summary: summary as unknown as Record<string, unknown> },
        input.cycleId,
        'closed',
      ),
    ],
    { metadata: activityMetadata(SYSTEM_ACTOR) },
  );
  return summary;
}
