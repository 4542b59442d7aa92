import { msToNumber } from '@temporalio/common/lib/time';
import {
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { STAGE } from '../../platform/temporal/search-attributes';
import { withSummaries } from '../../platform/temporal/summaries';
import type { SubsidyActivities } from '../activities';
import type { CycleTiming, PaymentRunResult } from '../contracts/definitions';
import { bankReconciliationDetailsZh, paymentRunDetailsZh, SUBSIDY_ACTIVITY_SUMMARIES } from './summaries';

const { instructPayments, pollSettlements } = withSummaries(
  proxyActivities<SubsidyActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    // The bank may be down for a while; every instruction carries an idempotency key, so retrying is
    // safe. A request the bank refuses as malformed will be refused again: that one is not retried.
    retry: {
      initialInterval: '2 seconds',
      maximumInterval: '1 minute',
      backoffCoefficient: 2,
      nonRetryableErrorTypes: ['BankRejectedError'],
    },
  }),
  SUBSIDY_ACTIVITY_SUMMARIES,
);

// A re-issue asks the bank first; a refusal (an earlier attempt settled or still in doubt) is
// non-retryable and ends the re-issue with the reason, for the person who asked.
const { reissuePayment, reconcileWithBank } = withSummaries(
  proxyActivities<SubsidyActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  }),
  SUBSIDY_ACTIVITY_SUMMARIES,
);

export interface PaymentRunInput {
  cycleId: string;
  jurisdiction: string;
  timing?: CycleTiming;
}

/** Polls until the bank has settled or failed everything instructed; the interval backs off so the history stays small. */
async function awaitSettlement(
  poll: () => Promise<{ pending: number }>,
  timing: CycleTiming | undefined,
): Promise<void> {
  let interval = msToNumber(timing?.pollInterval ?? 1_000);
  const max = msToNumber(timing?.maxPollInterval ?? 60_000);
  for (;;) {
    await sleep(interval, { summary: '等待银行结算，稍后再查询' });
    const { pending } = await poll();
    if (pending === 0) return;
    interval = Math.min(max, interval * 2);
  }
}

/**
 * Payment of one jurisdiction's approved items to social-security cards (第十条 step 3): instruct the
 * bank in batches (each payment with its idempotency key), then follow settlement. A payment the
 * bank fails (closed or invalid account) is held with its reason and re-issued by `reissuePaymentWorkflow`.
 */
export async function paymentRunWorkflow(input: PaymentRunInput): Promise<PaymentRunResult> {
  upsertSearchAttributes([{ key: STAGE, value: 'payment' }]);
  const instructed = await instructPayments({ cycleId: input.cycleId, jurisdiction: input.jurisdiction });
  // The instructing activity now follows a quick settlement itself and reports what settled.
  const settledAtOnce = patched('payment-quick-settlement') ? (instructed.settled ?? 0) : 0;
  let last = { pending: instructed.pending, settled: settledAtOnce, held: instructed.held };
  setCurrentDetails(paymentRunDetailsZh({ instructed: instructed.instructed, ...last }));
  if (instructed.pending > 0) {
    await awaitSettlement(async () => {
      last = await pollSettlements({ cycleId: input.cycleId, jurisdiction: input.jurisdiction });
      setCurrentDetails(paymentRunDetailsZh({ instructed: instructed.instructed, ...last }));
      return last;
    }, input.timing);
  }
  return {
    jurisdiction: input.jurisdiction,
    instructed: instructed.instructed,
    settled: last.settled,
    held: last.held,
  };
}

export interface ReissueInput {
  paymentId: string;
  actor: { subject: string; role: string };
  timing?: CycleTiming;
  /** The attempt to make; with the workflow id `reissue-<paymentId>-<attempt>` two requests are one re-issue. */
  attempt?: number;
  /** The corrected account a person entered (sealed in PostgreSQL; only its id travels here). */
  correctionId?: string;
}

/** Re-issues one held payment after its account was corrected: a new attempt, a new idempotency key, paid once. */
export async function reissuePaymentWorkflow(input: ReissueInput): Promise<{ paymentId: string; status: string }> {
  const { cycleId, jurisdiction } = await reissuePayment({
    paymentId: input.paymentId,
    actor: input.actor,
    ...(input.attempt !== undefined ? { attempt: input.attempt } : {}),
    ...(input.correctionId !== undefined ? { correctionId: input.correctionId } : {}),
  });
  let status = 'pending';
  setCurrentDetails('已向银行发出，等待结算');
  await awaitSettlement(async () => {
    const polled = await pollSettlements({ cycleId, jurisdiction, paymentId: input.paymentId });
    status = polled.pending > 0 ? 'pending' : polled.held > 0 ? 'held' : 'settled';
    setCurrentDetails(
      { pending: '已向银行发出，等待结算', held: '再次被银行退回', settled: '已到账' }[status] ?? status,
    );
    return polled;
  }, input.timing);
  // The bank's statement has the last word on the cycle after every re-issue.
  if (patched('reissue-reconciles-with-bank')) await reconcileWithBank({ cycleId });
  return { paymentId: input.paymentId, status };
}

export interface BankReconciliationInput {
  cycleId: string;
  /** Days between checks; default 1. */
  intervalDays?: number;
  checks?: number;
}

/**
 * Follows a closed cycle against the bank's statement, daily, until every payment is final and every
 * break has been resolved by a person. Started by the cycle at close when either is not yet so.
 */
export async function bankReconciliationWorkflow(
  input: BankReconciliationInput,
): Promise<{ checks: number; openBreaks: number }> {
  upsertSearchAttributes([{ key: STAGE, value: 'reconciliation' }]);
  let checks = input.checks ?? 0;
  for (let i = 0; i < 60; i++) {
    const result = await reconcileWithBank({ cycleId: input.cycleId });
    checks++;
    setCurrentDetails(bankReconciliationDetailsZh({ checks, ...result }));
    if (result.openBreaks === 0 && result.notFinal === 0) return { checks, openBreaks: 0 };
    await sleep(`${input.intervalDays ?? 1} days`, { summary: '等到下一次与银行流水核对' });
  }
  // Two months of daily checks make a long history: go on in a fresh run.
  return continueAsNew<typeof bankReconciliationWorkflow>({ ...input, checks });
}
