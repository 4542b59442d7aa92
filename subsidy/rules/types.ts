import type { IsoDate } from '../../platform/common/dates';

export type { IsoDate };

export type Category = 'one_child_parent' | 'bereaved' | 'disabled_child';
export const CATEGORIES: readonly Category[] = ['one_child_parent', 'bereaved', 'disabled_child'];

/** 第七条: stays not paid, each with its code. */
export type ExclusionCode =
  | 'traffic_insured'
  | 'illegal_driving'
  | 'workplace_violation'
  | 'unlicensed_activity'
  | 'abroad';
export const EXCLUSION_CODES: readonly ExclusionCode[] = [
  'traffic_insured',
  'illegal_driving',
  'workplace_violation',
  'unlicensed_activity',
  'abroad',
];

/** One person on the county-confirmed roster (扶助对象名单, 第二条/第六条). */
export interface RosterEntry {
  idNumber: string;
  name: string;
  gender: 'F' | 'M';
  birthDate: IsoDate;
  /** The family's female partner; null where the beneficiary is female or the category has no such rule. */
  femaleBirthDate: IsoDate | null;
  jurisdiction: string;
  category: Category;
  bankCode: string;
  accountNo: string;
  enrolledOn: IsoDate;
  /** The first day no longer on the roster (第十一条 exit); null while enrolled. */
  exitedOn: IsoDate | null;
}

/** One inpatient record of the medical-insurance extract (or a county-entered self-application, 第七条). */
export interface Stay {
  recordId: string;
  idNumber: string;
  name: string;
  hospital: string;
  admissionDate: IsoDate;
  dischargeDate: IsoDate;
  exclusion: ExclusionCode | null;
}

/** Why an input row is invalid (stable, lower-case codes; see subsidy/rules/README.md). */
export type QuarantineReason =
  | 'missing_field'
  | 'bad_id_format'
  | 'bad_id_checksum'
  | 'id_birth_mismatch'
  | 'impossible_date'
  | 'future_date'
  | 'discharge_before_admission'
  | 'exit_before_enrolment'
  | 'unknown_jurisdiction'
  | 'unknown_category'
  | 'unknown_exclusion'
  | 'invalid_gender'
  | 'duplicate_conflict'
  | 'duplicate_record';

export const QUARANTINE_REASONS: readonly QuarantineReason[] = [
  'missing_field',
  'bad_id_format',
  'bad_id_checksum',
  'id_birth_mismatch',
  'impossible_date',
  'future_date',
  'discharge_before_admission',
  'exit_before_enrolment',
  'unknown_jurisdiction',
  'unknown_category',
  'unknown_exclusion',
  'invalid_gender',
  'duplicate_conflict',
  'duplicate_record',
];

export interface Quarantined {
  ok: false;
  reason: QuarantineReason;
  /** Names the column at fault; never contains an ID number. */
  detail: string;
}

export type Checked<T> = { ok: true; row: T } | Quarantined;

/** Why a row (or a night of it) is not paid. The order is the night-level precedence (see subsidy/rules/README.md). */
export type NotEligibleReason =
  | 'not_on_roster'
  | 'roster_conflict'
  | 'already_processed'
  | 'already_paid'
  | 'discharged_after_quarter'
  | 'overlap'
  | 'not_enrolled'
  | 'under_age'
  | 'annual_cap_reached';

export const NOT_ELIGIBLE_REASONS: readonly NotEligibleReason[] = [
  'not_on_roster',
  'roster_conflict',
  'already_processed',
  'already_paid',
  'discharged_after_quarter',
  'overlap',
  'not_enrolled',
  'under_age',
  'annual_cap_reached',
];

export type Outcome = 'paid' | 'not_eligible' | 'excluded';

export interface RowOutcome {
  recordId: string;
  outcome: Outcome;
  /** null when paid; the not-eligible reason or the exclusion code otherwise. */
  reason: NotEligibleReason | ExclusionCode | null;
  /** Nights paid by this row in this cycle (0 unless paid). */
  nights: number;
  amountFen: number;
  paidNights: IsoDate[];
  /** Facts, one per run of nights with the same verdict (rendered with its article by renderExplanation). */
  explanation: ExplanationFact[];
}

export type PaymentKind = 'regular' | 'back_pay';

export interface Payment {
  idNumber: string;
  jurisdiction: string;
  category: Category;
  /** 'regular' for stays discharged in the cycle's quarter, 'back_pay' (补发) for earlier ones. */
  kind: PaymentKind;
  nights: number;
  amountFen: number;
  cityShareFen: number;
  countyShareFen: number;
  /** The rows it pays, lowest record id first. */
  recordIds: string[];
  /** The nights it pays, in date order. */
  nightDates: IsoDate[];
  policyVersion: string;
}

/** One fact of an explanation (rendered into sentences by ./explain.ts). */
export type ExplanationFact =
  | {
      kind: 'counted';
      from: IsoDate;
      to: IsoDate;
      nights: number;
      rateFen: number;
      category: Category;
      splitYear: number | null;
    }
  | { kind: 'night_already_paid'; from: IsoDate; to: IsoDate }
  | { kind: 'before_enrolment'; from: IsoDate; to: IsoDate; enrolledOn: IsoDate }
  | { kind: 'after_exit'; from: IsoDate; to: IsoDate; exitedOn: IsoDate }
  | { kind: 'under_age'; from: IsoDate; to: IsoDate; subject: 'beneficiary' | 'female_partner'; minAge: number }
  | { kind: 'annual_cap'; from: IsoDate; to: IsoDate; cap: number; year: number }
  | { kind: 'overlap'; from: IsoDate; to: IsoDate; ownerRecordId: string }
  | { kind: 'excluded'; code: ExclusionCode }
  | { kind: 'record_already_paid' }
  | { kind: 'discharged_after_quarter'; dischargeDate: IsoDate; quarter: string }
  /** `fromCycle` and `line` name the stored row: a later copy or correction is matched against it. */
  | { kind: 'carried_forward'; fromQuarter: string; fromCycle: string; line: number }
  | { kind: 'not_on_roster' }
  | { kind: 'roster_conflict' }
  | {
      kind: 'overlapping_excluded_stay';
      recordId: string;
      code: ExclusionCode;
      admissionDate: IsoDate;
      dischargeDate: IsoDate;
    }
  | { kind: 'quarantined'; reason: string; detail: string }
  | {
      kind: 'correction';
      before: { admissionDate: IsoDate; dischargeDate: IsoDate };
      after: { admissionDate: IsoDate; dischargeDate: IsoDate };
    };
