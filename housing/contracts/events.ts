import type { Funding } from '../rules/price';
import type { Certificate, Check, IsoDate, ListingKind } from '../rules/types';

// The housing purchase's events: the permanent, attributable record (保障措施(三)) from which every
// query table is rebuilt. The seller is named by `sellerRef` only (a keyed hash; the account is in
// the person vault). Decisions by people carry who took them in the data as well as the metadata.

export interface ListingRecord {
  listingId: string;
  kind: ListingKind;
  region: string;
  address: string;
  complex: string;
  building: string;
  unit: string;
  floorAreaDm2: number;
  askingFen: number;
  certificates: Certificate[];
  canRegister: boolean;
  documents: string[];
  sellerRef: string;
  registeredOn: IsoDate;
  /** 不动产权证书号 of a second-hand home: one certificate, one listing. */
  propertyCertificateNo?: string;
  /** 以旧换新: the new home the seller is buying (developer listing or contract number), and whether the proceeds go to its escrow. */
  newHome?: NewHomeLink;
}

export interface NewHomeLink {
  /** The developer's listing id or the new home's contract number. */
  contract: string;
  /** The proceeds are paid to that contract's escrow account (商品房预售资金监管账户), kept in the person vault under this ref. */
  escrowRef?: string;
}

/** A payment instruction as first recorded: every retry of the attempt sends exactly this (the account by its vault ref). */
export interface SellerPaymentAttempt {
  attempt: number;
  idempotencyKey: string;
  amountFen: number;
  /** The account's entry in the person vault (content-addressed: the ref always names the same account). */
  accountRef: string;
  /** Last four digits only. */
  accountMask: string;
  payee: 'seller' | 'escrow';
}

/** Steps a person may try that the rules refuse; the attempt itself is recorded (who, when, what, why). */
export type AttemptedAction =
  | 'offer'
  | 'approval'
  | 'area_exception'
  | 'case_by_case'
  | 'survey'
  | 'seller_payment_reissue'
  | 'seller_payment_unwind'
  | 'appraisal'
  | 'repost';

/** Every listing event names its listing. */
type ListingRef = { listingId: string };

export type HousingEvent =
  | { type: 'ListingRegistered'; data: ListingRecord }
  | { type: 'DemandRegistered'; data: { region: string; units: number; reference: string } }
  | {
      type: 'BuildingIntentRecorded';
      data: { buildingKey: string; complex: string; building: string; ownersTotal: number; ownersWilling: number };
    }
  | { type: 'AreaExceptionDecided'; data: ListingRef & { granted: boolean; reason: string; by: string } }
  | { type: 'CaseByCaseDecided'; data: ListingRef & { granted: boolean; reason: string; by: string } }
  | { type: 'ReminderSent'; data: ListingRef & { about: 'screening_decision' | 'survey' | 'approval'; n: number } }
  | {
      type: 'ListingScreened';
      data: ListingRef & { verdict: 'eligible' | 'rejected'; checks: Check[]; policyVersion: string };
    }
  | { type: 'PriorityAssessed'; data: ListingRef & { firstInLine: boolean; unmetDemand: number; reason: string } }
  | { type: 'PurchaseAdmitted'; data: ListingRef & Funding & { planId: string } }
  | {
      type: 'SurveyReportFiled';
      data: ListingRef & { passed: boolean; defects: string[]; photoRefs: string[]; by: string };
    }
  | { type: 'AppraisalCommissioned'; data: ListingRef & { firm: string } }
  | {
      type: 'AppraisalReceived';
      data: ListingRef & {
        reportId: string;
        firm: string;
        valueFen: number;
        marketRentFen: number;
        appraisedOn: IsoDate;
      };
    }
  | {
      type: 'PriceCapSet';
      data: ListingRef & {
        capFen: number;
        basis: 'appraisal' | 'policy_ceiling';
        appraisalFen: number;
        ceilingFen: number | null;
        policyVersion: string;
      };
    }
  | {
      type: 'OfferMade';
      data: ListingRef & { offerNo: number; priceFen: number; capFen: number; sellerAccepted: boolean; by: string };
    }
  | {
      type: 'PriceApprovalDecided';
      data: ListingRef & {
        offerNo: number;
        priceFen: number;
        approved: boolean;
        reason: string;
        by: string;
        negotiator: string;
      };
    }
  | { type: 'ContractSigned'; data: ListingRef & Funding & { contractId: string; priceFen: number } }
  | { type: 'RegistrationFiled'; data: ListingRef & { applicationId: string; deedTaxFen: number } }
  | {
      type: 'RegistrationCompleted';
      data: ListingRef & { applicationId: string; certificateNo: string; deedTaxPaidFen: number };
    }
  | { type: 'RegistrationFailed'; data: ListingRef & { applicationId: string; reason: string } }
  | { type: 'LoanApplied'; data: ListingRef & { applicationId: string; amountFen: number } }
  | { type: 'LoanApproved'; data: ListingRef & { applicationId: string; amountFen: number } }
  | { type: 'LoanRefused'; data: ListingRef & { applicationId: string; reason: string } }
  | { type: 'LoanFallbackToCapital'; data: ListingRef & Funding & { refusedLoanFen: number } }
  | {
      type: 'LoanDrawn';
      data: ListingRef & { applicationId: string; loanId: string; amountFen: number; certificateNo: string };
    }
  | { type: 'LoanCancelled'; data: ListingRef & { applicationId: string; reason: string } }
  | { type: 'RegistrationUnwound'; data: ListingRef & { applicationId: string; certificateNo: string; reason: string } }
  | { type: 'ContractTerminated'; data: ListingRef & { contractId: string; reason: string } }
  | {
      type: 'SellerPaymentInstructed';
      data: ListingRef & { idempotencyKey: string; amountFen: number; bankPaymentId: string };
    }
  | { type: 'SellerPaid'; data: ListingRef & { idempotencyKey: string; amountFen: number; settledAt: string } }
  | { type: 'SellerPaymentHeld'; data: ListingRef & { idempotencyKey: string; reason: string; attempt?: number } }
  | { type: 'SellerPaymentIssued'; data: ListingRef & SellerPaymentAttempt }
  | {
      type: 'SellerPaymentReissueDecided';
      data: ListingRef & { attempt: number; accountRef: string; accountMask: string; reason: string; by: string };
    }
  | { type: 'SellerPaymentUnwindDecided'; data: ListingRef & { reason: string; by: string } }
  | { type: 'StepFailed'; data: ListingRef & { step: string; reason: string } }
  | {
      type: 'AttemptRefused';
      data: ListingRef & {
        action: AttemptedAction;
        by: string;
        role: string;
        reason: string;
        detail?: Record<string, unknown>;
      };
    }
  | { type: 'ComplexIntentRecorded'; data: { complex: string; ownersTotal: number; ownersWilling: number } }
  | {
      type: 'HomeHandedOver';
      data: ListingRef & { region: string; floorAreaDm2: number; monthlyRentFen: number; priceFen: number };
    }
  | { type: 'FundsReleased'; data: ListingRef & Funding & { reason: string } }
  | { type: 'ListingClosed'; data: ListingRef & { outcome: ListingOutcomeKind; reasons: string[] } }
  | {
      type: 'PlanFundsAdded';
      data: { planId: string; source: 'capital' | 'loan_capacity'; amountFen: number; reference: string; by: string };
    };

export type HousingEventType = HousingEvent['type'];

/** How a listing's workflow ended. */
export type ListingOutcomeKind =
  | 'handed_over'
  | 'rejected'
  | 'survey_failed'
  | 'negotiation_expired'
  | 'terminated'
  | 'payment_held';

export const housingStreams = {
  listing: (listingId: string) => `housing-listing-${listingId}`,
  demand: (region: string) => `housing-demand-${region}`,
  building: (buildingKey: string) => `housing-building-${buildingKey}`,
  plan: (planId: string) => `housing-plan-${planId}`,
  complex: (complex: string) => `housing-complex-${complex}`,
};

/** A home's identity on the platform: its address and unit with white space removed, case folded (the same rule as migration 0007's backfill). */
export const homeKeyOf = (address: string, unit: string) =>
  `${address.replace(/\s+/g, '').toLowerCase()}#${unit.replace(/\s+/g, '').toLowerCase()}`;

/** One building of one complex: the unit of the 80 % owner-share rule (组织实施(二)). */
export const buildingKeyOf = (complex: string, building: string) => `${complex}#${building}`;
