import type { Duration } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AdmissionRequest, PlanFunds } from '../rules/plan';
import type { Funding } from '../rules/price';
import type { Check, ListingKind, PendingDecision } from '../rules/types';
import type { ListingOutcomeKind } from './events';

// Signals, updates and queries of the housing workflows, shared by the workflows and their clients
// (API, CLI, bench), so both sides use the very same names and types.

/** Who acts: the API takes it from the verified token; validators check the role again. */
export interface HousingActor {
  subject: string;
  role: string;
}

/** Roles of the Plan's work (保障措施(一): the task force; 组织实施(四): the city investment group's team). */
export const TASK_FORCE_ROLES = ['housing_task_force', 'administrator'] as const;
export const SURVEY_ROLES = ['housing_task_force', 'appraiser'] as const;
export const FINANCE_ROLES = ['finance', 'administrator'] as const;

/** The purchase plan every listing of the city waits in. */
export const PURCHASE_PLAN_ID = 'housing-purchase-plan';

export const listingWorkflowId = (listingId: string) => `housing-listing-${listingId}`;

export type ListingStage =
  | 'screening'
  | 'awaiting_decision'
  | 'waiting_for_turn'
  | 'survey'
  | 'appraisal'
  | 'negotiation'
  | 'contract'
  | 'registration'
  | 'loan'
  | 'payment'
  | 'handover'
  | 'compensation'
  /** An open step: the bank refused the seller's payment; the task force re-issues or unwinds. */
  | 'payment_held'
  | ListingOutcomeKind;

export interface ListingTiming {
  /** Remind the task force of a pending screening decision after this; reject when `decisionDeadline` passes after the reminder. */
  decisionReminder?: Duration;
  decisionDeadline?: Duration;
  /** Remind the survey team every this long while the report is late (at most `surveyMaxReminders`). */
  surveyReminderEvery?: Duration;
  surveyMaxReminders?: number;
  /** Without an approved price by then, the negotiation lapses and the reservation goes back to the plan. */
  negotiationDeadline?: Duration;
  /** Between checks of the registry, the lending bank and the payment gateway (inside activities). */
  pollIntervalMs?: number;
}

export interface ListingInput {
  listingId: string;
  kind: ListingKind;
  region: string;
  planWorkflowId: string;
  timing?: ListingTiming;
}

export interface ListingProgress {
  listingId: string;
  stage: ListingStage;
  pendingDecisions: PendingDecision[];
  funding?: Funding;
  capFen?: number;
  askingFen?: number;
  offers: number;
  agreed?: { offerNo: number; priceFen: number; negotiator: string };
  /** The appraisal firm commissioned (its `appraiser` tokens submit the report). */
  appraisalFirm?: string;
  /** The seller's payment: its current attempt, and the bank's reason while it is held. */
  payment?: { attempt: number; heldReason?: string };
  outcome?: ListingOutcome;
}

export interface ListingOutcome {
  listingId: string;
  outcome: ListingOutcomeKind;
  reasons: string[];
  checks?: Check[];
}

// --- the listing (one workflow per home) -------------------------------------------------------
export interface ScreeningDecisionInput {
  actor: HousingActor;
  granted: boolean;
  reason: string;
}
export interface SurveyReportInput {
  actor: HousingActor;
  passed: boolean;
  defects: string[];
  photoRefs: string[];
}
export interface OfferInput {
  actor: HousingActor;
  priceFen: number;
  /** The seller agreed to this price: it goes to a second person's approval. */
  sellerAccepted: boolean;
}
export interface ApprovalInput {
  actor: HousingActor;
  approved: boolean;
  reason: string;
}

/** A held seller payment re-issued to a corrected account (stored in the vault by the API; only its ref travels). */
export interface ReissueInput {
  actor: HousingActor;
  accountRef: string;
  accountMask: string;
  reason: string;
}
/** A commissioned appraisal firm's report: value (the price cap's basis) and market rent, with the report's reference. */
export interface AppraisalInput {
  actor: HousingActor;
  reportRef: string;
  valueFen: number;
  marketRentFen: number;
  appraisedOn: string;
}
export interface UnwindInput {
  actor: HousingActor;
  reason: string;
}

/** 组织实施(二): the task force grants (or refuses) an exception for a home above 140 m². */
export const decideAreaExceptionUpdate = defineUpdate<ListingProgress, [ScreeningDecisionInput]>('decideAreaException');
/** 组织实施(一): 一事一议 for a home outside the core areas. */
export const decideCaseByCaseUpdate = defineUpdate<ListingProgress, [ScreeningDecisionInput]>('decideCaseByCase');
/** 组织实施(四): the team's on-site survey (实地勘验). */
export const fileSurveyReportUpdate = defineUpdate<ListingProgress, [SurveyReportInput]>('fileSurveyReport');
/** 组织实施(四): an offer of the negotiator; above the price cap it is refused by the validator. */
export const submitOfferUpdate = defineUpdate<ListingProgress, [OfferInput]>('submitOffer');
/** Four eyes: the agreed price is approved by someone other than its negotiator. */
export const decideApprovalUpdate = defineUpdate<ListingProgress, [ApprovalInput]>('decideApproval');
/** The task force re-issues a held seller payment (a new attempt, a new key), after the bank confirms no earlier attempt may pay. */
export const reissueSellerPaymentUpdate = defineUpdate<ListingProgress, [ReissueInput]>('reissueSellerPayment');
/** The task force unwinds a purchase whose seller cannot be paid: loan, registration and contract undone, reservation released. */
export const unwindPurchaseUpdate = defineUpdate<ListingProgress, [UnwindInput]>('unwindPurchase');
/** 工作任务(三): the commissioned firm submits its appraisal (role `appraiser`, only for its own commission). */
export const submitAppraisalUpdate = defineUpdate<ListingProgress, [AppraisalInput]>('submitAppraisal');
export const listingProgressQuery = defineQuery<ListingProgress>('listingProgress');

/** From the plan: the listing's turn has come, with the money reserved for it. */
export const admittedSignal = defineSignal<[{ funding: Funding }]>('admitted');
/** From the plan: whether capital replaces a refused loan. */
export const fallbackAnsweredSignal =
  defineSignal<[{ granted: boolean; reason: string; funding?: Funding }]>('fallbackAnswered');

// --- the purchase plan (one long-running coordinator) -------------------------------------------
export interface PlanState {
  planId: string;
  funds: PlanFunds;
  capitalFallbackAllowed: boolean;
  /** Listings waiting for their turn, in arrival order. */
  queue: AdmissionRequest[];
  /** Listings admitted and not yet settled. */
  reserved: Record<string, { workflowId: string; funding: Funding }>;
  nextSeq: number;
  /** References of funds already recorded: the same receipt is never counted twice. */
  fundReferences: string[];
  admittedTotal: number;
  settledTotal: number;
}

export interface PlanInput {
  planId: string;
  capitalFallbackAllowed?: boolean;
  /** Set by continue-as-new. */
  state?: PlanState;
}

export interface FundsInput {
  actor: HousingActor;
  source: 'capital' | 'loan_capacity';
  amountFen: number;
  reference: string;
}

export const requestAdmissionSignal = defineSignal<[Omit<AdmissionRequest, 'seq'>]>('requestAdmission');
export const requestFallbackSignal = defineSignal<[{ listingId: string; refusedLoanFen: number }]>('requestFallback');
/** A listing is done with its reservation: spent (handed over) or released (ended early, terminated). */
export const settleSignal =
  defineSignal<[{ listingId: string; outcome: 'spent' | 'released'; actual?: Funding }]>('settle');
/** Finance records money received: 异地建设费 as capital, or a bank's credit line as loan capacity. */
export const addFundsUpdate = defineUpdate<PlanState, [FundsInput]>('addFunds');
export const planStateQuery = defineQuery<PlanState>('planState');
