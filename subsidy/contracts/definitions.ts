import type { Duration } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ExclusionCode } from '../rules/types';

// Signals, updates and queries of the subsidy workflows, shared by the workflows and their clients
// (API, CLI), so both sides use the very same names and types.

// The exclusion codes (第七条) are the rules core's: one list for the rules, the API and the workflows.
export { EXCLUSION_CODES, type ExclusionCode } from '../rules/types';

/** Who acts: checked by the API (token) and again by the workflow's validators (scope). */
export interface Actor {
  subject: string;
  role: string;
  jurisdiction?: string;
}

export type CycleStage =
  | 'extract'
  | 'extract_rejected'
  | 'ingest'
  | 'compute'
  | 'review'
  | 'funding'
  | 'payment'
  | 'close'
  | 'closed';
export type RunKind = 'regular' | 'back_pay';

export interface CycleInput {
  quarter: string;
  runKind?: RunKind;
  /** SHA-256 of an extract already uploaded; without it the cycle waits for the `extractUploaded` signal. */
  extractHash?: string;
  /** Unattended run: every county approves every computed item, and funding is confirmed. */
  autoApprove?: boolean;
  /** Overrides for tests and benchmarks (durations as Temporal duration strings or ms). */
  timing?: CycleTiming;
}

export interface CycleTiming {
  /** First wait between settlement polls; doubles up to `maxPollInterval`. */
  pollInterval?: Duration;
  maxPollInterval?: Duration;
}

export interface JurisdictionFigures {
  jurisdiction: string;
  items: number;
  amountFen: number;
}

export interface CycleProgress {
  cycleId: string;
  quarter: string;
  stage: CycleStage;
  extractHash?: string;
  /** The last extract the ingest could not read, and why (line, column, encoding); the cycle waits for a corrected one. */
  rejection?: { extractHash: string; reason: string };
  rows?: { total: number; valid: number; quarantined: number };
  jurisdictions: JurisdictionFigures[];
  fundingConfirmed: string[];
  /** The timetable the cycle waits on; `provisional` until next year's official holiday arrangement is loaded. */
  deadlines?: { extractDue: string; reviewDue: string; paymentDue: string; provisional: boolean };
}

export interface ReconciliationLine {
  jurisdiction: string;
  approved: number;
  instructed: number;
  settled: number;
  held: number;
  approvedFen: number;
  settledFen: number;
  heldFen: number;
  cityShareFen: number;
  countyShareFen: number;
  balanced: boolean;
}

export interface CycleSummary {
  cycleId: string;
  quarter: string;
  rows: { total: number; paid: number; notEligible: number; excluded: number; quarantined: number };
  reconciliation: ReconciliationLine[];
  /** Against the bank's statement (since payment safety): what the bank booked vs our books, and open breaks. */
  bank?: { entries: number; bankSettledFen: number; booksSettledFen: number; openBreaks: number; notFinal: number };
  balanced: boolean;
}

// --- the cycle -------------------------------------------------------------------------------
export const extractUploadedSignal = defineSignal<[{ extractHash: string; actor: Actor }]>('extractUploaded');
export const confirmFundingUpdate = defineUpdate<{ confirmed: string[] }, [{ jurisdiction: string; actor: Actor }]>(
  'confirmFunding',
);
/** A year's official holiday arrangement was imported (`calendar import`): waiting cycles re-read their deadlines. */
export const calendarUpdatedSignal = defineSignal<[{ year: number }]>('calendarUpdated');

export const cycleProgressQuery = defineQuery<CycleProgress>('progress');

// --- county review (one child workflow per jurisdiction) -------------------------------------
/** Items are numbered 1..itemCount within a jurisdiction's review, so a selection is a few numbers. */
export type Selection = { scope: 'items'; seqs: number[] } | { scope: 'all_undecided'; except?: number[] };

export type ReviewDecision =
  | { decision: 'approve'; selection: Selection; actor: Actor; note?: string }
  | { decision: 'reject'; selection: Selection; actor: Actor; reason: string }
  | { decision: 'exclude'; selection: Selection; actor: Actor; exclusionCode: ExclusionCode; reason?: string };

export interface ReviewProgress {
  cycleId: string;
  jurisdiction: string;
  items: number;
  approved: number;
  rejected: number;
  excluded: number;
  undecided: number;
  submitted: boolean;
}

export const decideItemsUpdate = defineUpdate<ReviewProgress, [ReviewDecision]>('decideItems');
/** A self-application (未参保, 第七条) the API has already stored; the update carries its id only. */
export const addSelfApplicationUpdate = defineUpdate<
  ReviewProgress & { seq: number | null },
  [{ applicationId: string; actor: Actor }]
>('addSelfApplication');
export const submitReviewUpdate = defineUpdate<ReviewProgress, [{ actor: Actor }]>('submitReview');
export const reviewProgressQuery = defineQuery<ReviewProgress>('reviewProgress');

// --- payment ---------------------------------------------------------------------------------
export interface PaymentRunResult {
  jurisdiction: string;
  instructed: number;
  settled: number;
  held: number;
}

export function cycleIdFor(quarter: string, runKind: RunKind = 'regular', sequence?: number): string {
  return runKind === 'regular' ? `subsidy-cycle-${quarter}` : `subsidy-backpay-${quarter}-${sequence ?? 1}`;
}
