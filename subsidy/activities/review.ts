import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import { activityMetadata, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import type { Actor, CycleSummary, ReconciliationLine, ReviewDecision } from '../contracts/definitions';
import { type SubsidyEvent, streams } from '../contracts/events';
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

export async function recordReviewDecision(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; request: ReviewDecision; decisionNo: number; resolvedCount: number },
): Promise<void> {
  const { request } = input;
  await deps.store.append(
    streams.review(input.cycleId, input.jurisdiction),
    [
      subsidyEvent(
        'ReviewDecisionRecorded',
        {
          cycleId: input.cycleId,
          jurisdiction: input.jurisdiction,
          decisionNo: input.decisionNo,
          decision: request.decision,
          selection: request.selection,
          reason:
            request.decision === 'reject'
              ? request.reason
              : request.decision === 'exclude'
                ? (request.reason ?? null)
                : (request.note ?? null),
          exclusionCode: request.decision === 'exclude' ? request.exclusionCode : null,
          actor: request.actor,
          resolvedCount: input.resolvedCount,
        },
        input.cycleId,
        input.jurisdiction,
        'decision',
        input.decisionNo,
      ),
    ],
    { metadata: activityMetadata(request.actor) },
  );
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
  input: { cycleId: string; jurisdiction: string; actor: Actor },
): Promise<void> {
  const totals = await approvedTotals(deps, input.cycleId, input.jurisdiction);
  await deps.store.append(
    streams.review(input.cycleId, input.jurisdiction),
    [
      subsidyEvent(
        'ReviewSubmitted',
        {
          cycleId: input.cycleId,
          jurisdiction: input.jurisdiction,
          actor: input.actor,
          approved: totals.payments,
          approvedFen: totals.amountFen,
        },
        input.cycleId,
        input.jurisdiction,
        'submitted',
      ),
    ],
    { metadata: activityMetadata(input.actor) },
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
