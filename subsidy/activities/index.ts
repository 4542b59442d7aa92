import type { SubsidyDeps } from '../context';
import type { CycleSummary } from '../contracts/definitions';
import { reconcileWithBank } from './bank-reconciliation';
import {
  type ComputeInput,
  type ComputeResult,
  computeCycleEntitlements,
  computeSelfApplication,
  correctionRecoveries,
} from './compute';
import { type IngestResult, ingestExtractFile } from './ingest';
import { instructPayments, pollSettlements, reissuePayment } from './payment';
import { openRecovery, recordRecoveryReminder, recordRepayment } from './recovery';
import {
  checkHolidayArrangement,
  closeCycle,
  confirmFunding,
  cycleDeadlines,
  recordCycleEvent,
  recordReviewDecision,
  requestFunding,
  submitReview,
} from './review';

export type { SubsidyDeps } from '../context';

type Tail<F> = F extends (deps: SubsidyDeps, ...rest: infer R) => infer Out ? (...rest: R) => Out : never;
const bind = <F extends (deps: SubsidyDeps, ...rest: never[]) => unknown>(deps: SubsidyDeps, f: F): Tail<F> =>
  ((...rest: never[]) => f(deps, ...rest)) as Tail<F>;

/**
 * The subsidy cycle's activities: each does its I/O and asks domain/ for every figure. All are
 * idempotent — event ids, upload hashes and bank idempotency keys make a retry a no-op.
 */
export function createSubsidyActivities(deps: SubsidyDeps) {
  return {
    cycleDeadlines: async (input: { quarter: string }) => cycleDeadlines(deps, input),
    checkHolidayArrangement: bind(deps, checkHolidayArrangement),
    recordCycleEvent: bind(deps, recordCycleEvent),
    ingestExtract: bind(deps, ingestExtractFile) as (input: {
      cycleId: string;
      extractHash: string;
    }) => Promise<IngestResult>,
    computeEntitlements: bind(deps, computeCycleEntitlements) as (input: ComputeInput) => Promise<ComputeResult>,
    correctionRecoveries: bind(deps, correctionRecoveries),
    recordReviewDecision: bind(deps, recordReviewDecision),
    addSelfApplication: bind(deps, computeSelfApplication),
    submitReview: bind(deps, submitReview),
    requestFunding: bind(deps, requestFunding),
    confirmFunding: bind(deps, confirmFunding),
    instructPayments: bind(deps, instructPayments),
    pollSettlements: bind(deps, pollSettlements),
    reissuePayment: bind(deps, reissuePayment),
    reconcileWithBank: bind(deps, reconcileWithBank),
    closeCycle: bind(deps, closeCycle) as (input: { cycleId: string }) => Promise<CycleSummary>,
    openRecovery: bind(deps, openRecovery),
    recordRepayment: bind(deps, recordRepayment),
    recordRecoveryReminder: bind(deps, recordRecoveryReminder),
  };
}

export type SubsidyActivities = ReturnType<typeof createSubsidyActivities>;
