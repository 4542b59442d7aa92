// The subsidy's events: the permanent record auditors rebuild every figure from. Persons are named
// by `personRef` only (a keyed hash of the ID number); no ID number, name or account appears here.

import type { ExplanationLine } from '../rules/explain';
import type { Actor, ExclusionCode, ReviewDecision } from './definitions';

export type IsoDate = string;

export interface RosterFacts {
  personRef: string;
  jurisdiction: string;
  category: string;
  gender: string;
  birthDate: IsoDate;
  femaleBirthDate: IsoDate | null;
  enrolledOn: IsoDate;
  exitedOn: IsoDate | null;
}

export interface RowOutcomeRecord {
  lineNo: number;
  recordId: string;
  personRef: string | null;
  jurisdiction: string | null;
  outcome: 'paid' | 'not_eligible' | 'excluded' | 'quarantined';
  reason: string | null;
  nights: number;
  amountFen: number;
  paymentId: string | null;
  /** Facts (rendered in the reader's language by renderExplanation); plain English sentences in events before 2026-11-30. */
  explanation: ExplanationLine[];
}

/**
 * Row outcomes column by column (one array per field, aligned by index): the shape written since
 * 2026-12 — half the bytes of one object per row, and far cheaper to hash canonically. Events
 * written before carry `rows`; both shapes project the same table.
 */
export type RowOutcomeColumns = { [K in keyof RowOutcomeRecord]: RowOutcomeRecord[K][] };

export function toOutcomeColumns(rows: readonly RowOutcomeRecord[]): RowOutcomeColumns {
  return {
    lineNo: rows.map((r) => r.lineNo),
    recordId: rows.map((r) => r.recordId),
    personRef: rows.map((r) => r.personRef),
    jurisdiction: rows.map((r) => r.jurisdiction),
    outcome: rows.map((r) => r.outcome),
    reason: rows.map((r) => r.reason),
    nights: rows.map((r) => r.nights),
    amountFen: rows.map((r) => r.amountFen),
    paymentId: rows.map((r) => r.paymentId),
    explanation: rows.map((r) => r.explanation),
  };
}

export interface EntitlementRecord {
  paymentId: string;
  jurisdiction: string;
  seq: number;
  personRef: string;
  category: string;
  kind: 'regular' | 'back_pay';
  nights: number;
  amountFen: number;
  cityShareFen: number;
  countyShareFen: number;
  recordIds: string[];
  nightDates: IsoDate[];
  policyVersion: string;
}

export type SubsidyEvent =
  | {
      type: 'RosterVersionLoaded';
      data: {
        version: number;
        fileHash: string;
        entries: number;
        changed: number;
        quarantined: number;
        loadedAt: string;
        kind?: 'update' | 'annual';
        year?: number;
      };
    }
  | { type: 'RosterEntriesRecorded'; data: { version: number; entries: RosterFacts[] } }
  | {
      type: 'AnnualRosterExitsRecorded';
      data: {
        version: number;
        year: number;
        jurisdictions: string[];
        exits: { personRef: string; jurisdiction: string; exitedOn: IsoDate; reason: 'not_in_annual_roster' }[];
      };
    }
  | {
      type: 'RosterConflictsRecorded';
      data: { version: number; conflicts: { personRef: string; lines: number[]; jurisdictions: string[] }[] };
    }
  | {
      type: 'CycleInputsFrozen';
      data: {
        cycleId: string;
        quarter: string;
        runKind: string;
        extractHash: string;
        rosterVersion: number;
        policyVersion: string;
      };
    }
  | {
      type: 'ExtractIngested';
      data: {
        cycleId: string;
        extractHash: string;
        fileName: string;
        total: number;
        valid: number;
        quarantined: number;
      };
    }
  | {
      type: 'RowOutcomesRecorded';
      data: { cycleId: string; rows: RowOutcomeRecord[] } | { cycleId: string; columns: RowOutcomeColumns };
    }
  | { type: 'EntitlementsComputed'; data: { cycleId: string; items: EntitlementRecord[] } }
  | {
      type: 'CycleComputed';
      data: {
        cycleId: string;
        jurisdictions: { jurisdiction: string; items: number; amountFen: number }[];
        rows: Record<string, number>;
        recoveries?: number;
      };
    }
  | {
      type: 'RecordsCorrected';
      data: {
        cycleId: string;
        corrections: {
          recordId: string;
          personRef: string;
          paymentId: string;
          before: { admissionDate: IsoDate; dischargeDate: IsoDate };
          after: { admissionDate: IsoDate; dischargeDate: IsoDate };
          removedNights: IsoDate[];
          recoveryFen: number;
          recoveryId: string;
        }[];
      };
    }
  | {
      type: 'SelfApplicationComputed';
      data: {
        cycleId: string;
        applicationId: string;
        actor: Actor;
        row: RowOutcomeRecord;
        item: EntitlementRecord | null;
      };
    }
  | {
      type: 'ReviewDecisionRecorded';
      data: {
        cycleId: string;
        jurisdiction: string;
        decisionNo: number;
        decision: ReviewDecision['decision'];
        selection: ReviewDecision['selection'];
        reason: string | null;
        exclusionCode: ExclusionCode | null;
        actor: Actor;
        resolvedCount: number;
      };
    }
  | {
      type: 'ReviewSubmitted';
      data: { cycleId: string; jurisdiction: string; actor: Actor; approved: number; approvedFen: number };
    }
  | {
      type: 'FundingRequested';
      data: {
        cycleId: string;
        jurisdiction: string;
        payments: number;
        amountFen: number;
        cityShareFen: number;
        countyShareFen: number;
      };
    }
  | { type: 'FundingConfirmed'; data: { cycleId: string; jurisdiction: string; actor: Actor } }
  | {
      type: 'PaymentsInstructed';
      // amountFen and digest (a keyed hash of key, bank, account and amount) since payment safety: the
      // instruction of each attempt is frozen in payment_instructions and every retry sends exactly it.
      data: {
        cycleId: string;
        jurisdiction: string;
        items: { paymentId: string; attempt: number; amountFen?: number; digest?: string }[];
      };
    }
  | {
      type: 'PaymentsInDoubt';
      data: { cycleId: string; items: { paymentId: string; attempt: number; reason: string }[] };
    }
  | { type: 'PaymentsAccepted'; data: { cycleId: string; items: { paymentId: string; bankPaymentId: string }[] } }
  | { type: 'PaymentsSettled'; data: { cycleId: string; items: { paymentId: string; settledAt: string | null }[] } }
  | { type: 'PaymentsHeld'; data: { cycleId: string; items: { paymentId: string; reason: string }[] } }
  | { type: 'BeneficiaryAccountCorrected'; data: { personRef: string; actor: Actor } }
  | {
      type: 'PaymentReissued';
      data: {
        cycleId: string;
        paymentId: string;
        attempt: number;
        actor: Actor;
        amountFen?: number;
        digest?: string;
        correctionId?: string;
      };
    }
  | {
      type: 'BankStatementReconciled';
      data: {
        cycleId: string;
        from: string;
        to: string;
        entries: number;
        bankSettledFen: number;
        booksSettledFen: number;
        breaks: number;
        booked: number;
      };
    }
  | {
      type: 'ReconciliationBreakFound';
      data: {
        breakId: string;
        cycleId: string;
        paymentId: string;
        jurisdiction: string | null;
        kind: ReconciliationBreakKind;
        detail: Record<string, unknown>;
      };
    }
  | {
      type: 'ReconciliationBreakResolved';
      data: { breakId: string; cycleId: string; resolution: string; actor: Actor };
    }
  | { type: 'CycleClosed'; data: { cycleId: string; summary: Record<string, unknown> } }
  | { type: 'CycleNotice'; data: { cycleId: string; notice: string; [key: string]: unknown } }
  | {
      type: 'HolidayArrangementMissing';
      data: { year: number; checkedOn: string; to: 'city_health_commission'; action: string };
    }
  | {
      type: 'RecoveryOpened';
      data: { recoveryId: string; paymentId: string; amountFen: number; reason: string; actor: Actor };
    }
  | { type: 'RecoveryRepaid'; data: { recoveryId: string; amountFen: number; reference: string; actor: Actor } };

/**
 * What the bank's statement and our books disagree on, per payment:
 * settled_twice — the bank booked more than one attempt; settled_not_booked — the bank paid, our
 * books say it did not; booked_not_settled — our books say paid, the bank booked nothing;
 * amount_mismatch — the bank booked another amount than we instructed.
 */
export type ReconciliationBreakKind = 'settled_twice' | 'settled_not_booked' | 'booked_not_settled' | 'amount_mismatch';

export type SubsidyEventType = SubsidyEvent['type'];

/** Stream names: one per cycle, per county review, per county funding/payment, the roster, and per recovery. */
export const streams = {
  roster: 'subsidy-roster',
  calendar: 'subsidy-calendar',
  cycle: (cycleId: string) => `${cycleId}`,
  review: (cycleId: string, jurisdiction: string) => `${cycleId}:review:${jurisdiction}`,
  funding: (cycleId: string, jurisdiction: string) => `${cycleId}:funding:${jurisdiction}`,
  payments: (cycleId: string, jurisdiction: string) => `${cycleId}:payment:${jurisdiction}`,
  reconciliation: (cycleId: string) => `${cycleId}:reconciliation`,
  recovery: (recoveryId: string) => `subsidy-recovery-${recoveryId}`,
  beneficiary: (personRef: string) => `subsidy-beneficiary-${personRef}`,
};
