import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { JURISDICTION, QUARTER, STAGE } from '../../platform/temporal/search-attributes';
import { withSummaries } from '../../platform/temporal/summaries';
import type { SubsidyActivities } from '../activities';
import {
  type CycleInput,
  type CycleProgress,
  type CycleStage,
  type CycleSummary,
  calendarUpdatedSignal,
  confirmFundingUpdate,
  cycleProgressQuery,
  extractUploadedSignal,
} from '../contracts/definitions';
import { bankReconciliationWorkflow, paymentRunWorkflow } from './payment';
import { recoveryWorkflow } from './recovery';
import { countyReviewWorkflow } from './review';
import {
  bankReconciliationStartMetadata,
  cycleDetailsZh,
  paymentRunStartMetadata,
  recoveryStartMetadata,
  reviewStartMetadata,
  SUBSIDY_ACTIVITY_SUMMARIES,
} from './summaries';
import { doneBefore, doneBeforeMoving } from './timing';

// Every activity carries its Chinese summary for the UI (metadata: replay matches commands without it).
const { cycleDeadlines, recordCycleEvent, requestFunding, confirmFunding, closeCycle, correctionRecoveries } =
  withSummaries(
    proxyActivities<SubsidyActivities>({
      startToCloseTimeout: '2 minutes',
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
    }),
    SUBSIDY_ACTIVITY_SUMMARIES,
  );

// Bulk stages: long, so they heartbeat; a worker that dies mid-way is noticed within a minute.
const { ingestExtract, computeEntitlements } = withSummaries(
  proxyActivities<SubsidyActivities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  }),
  SUBSIDY_ACTIVITY_SUMMARIES,
);

/** Shipped 2026-11: a rejected extract no longer fails the cycle; it waits for a corrected file. */
const EXTRACT_REJECTION_PATCH = 'extract-rejection-waits';

/** The reason of a file the ingest could not read (non-retryable `MalformedFile`), else undefined. */
function rejectionOf(error: unknown): string | undefined {
  if (
    !(error instanceof ActivityFailure) ||
    !(error.cause instanceof ApplicationFailure) ||
    error.cause.type !== 'MalformedFile'
  )
    return undefined;
  const detail = error.cause.details?.[0];
  return typeof detail === 'string' ? detail : error.cause.message;
}

/**
 * One quarterly cycle of the hospital nursing subsidy (许政办〔2025〕15号, 第十条/第十二条): the stages an
 * operator sees in the Temporal UI. The history carries ids, hashes and counts only; rows, outcomes
 * and payments live in PostgreSQL as events and their projections.
 */
export async function subsidyCycleWorkflow(input: CycleInput): Promise<CycleSummary> {
  const cycleId = workflowInfo().workflowId;
  const runKind = input.runKind ?? 'regular';
  const progress: CycleProgress = {
    cycleId,
    quarter: input.quarter,
    stage: 'extract',
    jurisdictions: [],
    fundingConfirmed: [],
  };
  // The UI's current details (Chinese: stage and counts); not a command, so old histories replay.
  const details = () => setCurrentDetails(cycleDetailsZh(progress));
  const stage = (next: CycleStage) => {
    progress.stage = next;
    upsertSearchAttributes([{ key: STAGE, value: next }]);
    details();
  };
  upsertSearchAttributes([{ key: QUARTER, value: input.quarter }]);
  setHandler(cycleProgressQuery, () => progress);

  let extractHash = input.extractHash;
  let rejectedHash: string | undefined;
  setHandler(extractUploadedSignal, ({ extractHash: uploaded }) => {
    // The first upload stands, unless it was rejected: then a corrected one replaces it.
    if (extractHash === undefined || extractHash === rejectedHash) extractHash = uploaded;
  });
  const awaitingFunding = new Set<string>();
  setHandler(
    confirmFundingUpdate,
    async ({ jurisdiction, actor }) => {
      await confirmFunding({ cycleId, jurisdiction, actor });
      awaitingFunding.delete(jurisdiction);
      progress.fundingConfirmed.push(jurisdiction);
      details();
      return { confirmed: progress.fundingConfirmed };
    },
    {
      validator: ({ jurisdiction, actor }) => {
        if (actor.role !== 'finance' || (actor.jurisdiction && actor.jurisdiction !== jurisdiction)) {
          throw new Error(`actor ${actor.subject} (${actor.role}) may not confirm funding for ${jurisdiction}`);
        }
        if (!awaitingFunding.has(jurisdiction))
          throw new Error(`no funding request of ${jurisdiction} awaits confirmation`);
      },
    },
  );

  // 1. Extract (第十条 step 1): the medical-insurance bureau delivers within the first 5 working days.
  stage('extract');
  let deadlines = await cycleDeadlines({ quarter: input.quarter });
  // Deadlines on a provisional holiday calendar (a year not yet published) move when the official
  // arrangement is imported; histories from before this change wait on fixed deadlines.
  const movingDeadlines = patched('calendar-provisional-rearm');
  let calendarChanged = false;
  const rereadDeadlines = async () => {
    calendarChanged = false;
    deadlines = await cycleDeadlines({ quarter: input.quarter });
    progress.deadlines = {
      extractDue: deadlines.extractDue,
      reviewDue: deadlines.reviewDue,
      paymentDue: deadlines.paymentDue,
      provisional: deadlines.provisional === true,
    };
    details();
  };
  const extractBefore = (pick: (d: typeof deadlines) => string) =>
    movingDeadlines
      ? doneBeforeMoving(
          () => extractHash !== undefined,
          () => ({ at: pick(deadlines), provisional: deadlines.provisional === true }),
          () => calendarChanged,
          rereadDeadlines,
        )
      : doneBefore(() => extractHash !== undefined, pick(deadlines));
  if (movingDeadlines) {
    setHandler(calendarUpdatedSignal, () => {
      calendarChanged = true;
    });
    progress.deadlines = {
      extractDue: deadlines.extractDue,
      reviewDue: deadlines.reviewDue,
      paymentDue: deadlines.paymentDue,
      provisional: deadlines.provisional === true,
    };
    details();
  }
  if (!(await extractBefore((d) => d.extractDue))) {
    await recordCycleEvent({
      cycleId,
      type: 'ExtractReminderSent',
      key: 'extract',
      data: { deadline: deadlines.extractDue },
    });
    if (!(await extractBefore((d) => d.extractEscalation))) {
      await recordCycleEvent({
        cycleId,
        type: 'ExtractEscalated',
        key: 'extract',
        data: { to: 'city_health_commission' },
      });
      await condition(() => extractHash !== undefined);
    }
  }
  let hash = extractHash!;
  progress.extractHash = hash;

  // 2. Ingest: bulk load, validate, quarantine — idempotent by file hash. A file that cannot be
  // read is rejected with its reason, and the cycle waits for a corrected one (CONTRACT "Bad files").
  for (;;) {
    stage('ingest');
    try {
      progress.rows = await ingestExtract({ cycleId, extractHash: hash });
      break;
    } catch (error) {
      const reason = rejectionOf(error);
      if (reason === undefined || !patched(EXTRACT_REJECTION_PATCH)) throw error;
      rejectedHash = hash;
      progress.rejection = { extractHash: hash, reason };
      await recordCycleEvent({ cycleId, type: 'ExtractRejected', key: hash, data: { extractHash: hash, reason } });
      stage('extract_rejected');
      await condition(() => extractHash !== rejectedHash);
      hash = extractHash!;
      progress.extractHash = hash;
    }
  }

  // 3. Compute: the rules core per person; inputs (roster version, extract hash, policy) frozen here.
  stage('compute');
  const computed = await computeEntitlements({ cycleId, quarter: input.quarter, runKind, extractHash: hash });
  progress.jurisdictions = computed.jurisdictions;
  details();
  // Corrections that removed paid nights (record_corrected): one recovery each, through the recovery
  // workflow (第十三条), which outlives the cycle.
  if ((computed.recoveries ?? 0) > 0 && patched('correction-recoveries')) {
    for (const r of await correctionRecoveries({ cycleId })) {
      await startChild(recoveryWorkflow, {
        workflowId: r.recoveryId,
        ...recoveryStartMetadata(r.amountFen, 'record_corrected'),
        args: [
          {
            paymentId: r.paymentId,
            amountFen: r.amountFen,
            reason: 'record_corrected',
            actor: { subject: 'system:correction', role: 'city_health_commission' },
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    }
  }

  // 4. County review: one child per jurisdiction with items.
  stage('review');
  if (movingDeadlines && (calendarChanged || deadlines.provisional)) await rereadDeadlines();
  const withItems = computed.jurisdictions.filter((j) => j.items > 0);
  await Promise.all(
    withItems.map((j) =>
      executeChild(countyReviewWorkflow, {
        workflowId: `${cycleId}:review:${j.jurisdiction}`,
        ...reviewStartMetadata(input.quarter, j.jurisdiction, j.items),
        args: [
          {
            cycleId,
            jurisdiction: j.jurisdiction,
            items: j.items,
            autoApprove: input.autoApprove ?? false,
            remindAt: deadlines.reviewDue,
            escalateAt: deadlines.reviewEscalation,
          },
        ],
        typedSearchAttributes: [
          { key: QUARTER, value: input.quarter },
          { key: JURISDICTION, value: j.jurisdiction },
        ],
      }),
    ),
  );

  // 5. Funding (第八条): one request per jurisdiction, city 40 % / county 60 %; finance confirms.
  stage('funding');
  for (const j of withItems) {
    const request = await requestFunding({ cycleId, jurisdiction: j.jurisdiction });
    if (request.payments === 0) continue;
    if (input.autoApprove) {
      await confirmFunding({
        cycleId,
        jurisdiction: j.jurisdiction,
        actor: { subject: 'system:auto-approve', role: 'finance' },
      });
      progress.fundingConfirmed.push(j.jurisdiction);
      details();
    } else {
      awaitingFunding.add(j.jurisdiction);
    }
  }
  await condition(() => awaitingFunding.size === 0);

  // 6. Payment: one child per jurisdiction; the bank adapter is idempotent per payment.
  stage('payment');
  await Promise.all(
    progress.fundingConfirmed.map((jurisdiction) =>
      executeChild(paymentRunWorkflow, {
        workflowId: `${cycleId}:payment:${jurisdiction}`,
        ...paymentRunStartMetadata(input.quarter, jurisdiction),
        args: [{ cycleId, jurisdiction, timing: input.timing }],
        typedSearchAttributes: [
          { key: QUARTER, value: input.quarter },
          { key: JURISDICTION, value: jurisdiction },
        ],
      }),
    ),
  );

  // 7. Close: three-way reconciliation, summary per jurisdiction.
  stage('close');
  const summary = await closeCycle({ cycleId });
  // Breaks against the bank's statement (or payments the bank has not answered) stay followed daily
  // after the cycle closes, until a person has resolved each one.
  if (
    patched('bank-reconciliation-follow-up') &&
    summary.bank &&
    (summary.bank.openBreaks > 0 || summary.bank.notFinal > 0)
  ) {
    await startChild(bankReconciliationWorkflow, {
      workflowId: `${cycleId}:reconciliation`,
      ...bankReconciliationStartMetadata(input.quarter),
      args: [{ cycleId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [{ key: QUARTER, value: input.quarter }],
    });
  }
  stage('closed');
  await condition(allHandlersFinished);
  return summary;
}
