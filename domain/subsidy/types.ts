import type { IsoDate } from '../dates';

export type { IsoDate };
export type Category = 'one_child_parent' | 'bereaved' | 'disabled_child';
export const CATEGORIES: readonly Category[] = ['one_child_parent', 'bereaved', 'disabled_child'];

/** 第七条: stays not paid, each with its code. */
export type ExclusionCode = 'traffic_insured' | 'illegal_driving' | 'workplace_violation' | 'unlicensed_activity' | 'abroad';
export const EXCLUSION_CODES: readonly ExclusionCode[] = ['traffic_insured', 'illegal_driving', 'workplace_violation', 'unlicensed_activity', 'abroad'];

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
  exitedOn: IsoDate | null;
}

/** One inpatient record of the medical-insurance extract. */
export interface Stay {
  recordId: string;
  idNumber: string;
  name: string;
  hospital: string;
  admissionDate: IsoDate;
  dischargeDate: IsoDate;
  exclusion: ExclusionCode | null;
}

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

export type Checked<T> = { ok: true; row: T } | { ok: false; reason: QuarantineReason; detail: string };

export type NotEligibleReason =
  | 'not_on_roster'
  | 'not_enrolled'
  | 'under_age'
  | 'annual_cap_reached'
  | 'overlap'
  | 'already_paid'
  | 'discharged_after_quarter';

export interface RowOutcome {
  recordId: string;
  outcome: 'paid' | 'not_eligible' | 'excluded';
  reason: NotEligibleReason | ExclusionCode | null;
  nights: number;
  amountFen: number;
  paidNights: IsoDate[];
  explanation: string[];
}

export interface Payment {
  idNumber: string;
  jurisdiction: string;
  category: Category;
  kind: 'regular' | 'back_pay';
  nights: number;
  amountFen: number;
  cityShareFen: number;
  countyShareFen: number;
  recordIds: string[];
  nightDates: IsoDate[];
  policyVersion: string;
}
