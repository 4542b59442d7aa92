import { type IsoDate, parseIsoDate } from '../../platform/common/dates';
import { checkIdNumber } from '../../platform/common/resident-id';
import { JURISDICTION_CODES, type JurisdictionLookup } from './jurisdictions';
import {
  CATEGORIES,
  type Category,
  type Checked,
  EXCLUSION_CODES,
  type ExclusionCode,
  type Quarantined,
  type RosterEntry,
  type Stay,
} from './types';

// Input rows (CONTRACT.md roster.csv and hospitalizations.csv) → typed rows, or the reason a row is
// quarantined. Checks run in a fixed order and the first failure is the row's reason; the detail
// names the column. Values are trimmed; nothing here ever echoes an ID number.

/** A raw record keyed by header name, as the file readers produce it. */
export type RawRecord = Readonly<Record<string, string | undefined>>;

export const ROSTER_COLUMNS = [
  'id_number',
  'name',
  'gender',
  'birth_date',
  'female_birth_date',
  'jurisdiction',
  'category',
  'bank_code',
  'account_no',
  'enrolled_on',
  'exited_on',
] as const;
export const STAY_COLUMNS = [
  'record_id',
  'id_number',
  'name',
  'hospital',
  'admission_date',
  'discharge_date',
  'exclusion',
] as const;

const ROSTER_REQUIRED = [
  'id_number',
  'name',
  'gender',
  'birth_date',
  'jurisdiction',
  'category',
  'bank_code',
  'account_no',
  'enrolled_on',
] as const;
const STAY_REQUIRED = ['record_id', 'id_number', 'admission_date', 'discharge_date'] as const;
const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);
const EXCLUSION_SET: ReadonlySet<string> = new Set(EXCLUSION_CODES);

export interface RosterRowContext {
  /** Known jurisdiction codes; default data/jurisdictions.json. */
  jurisdictions?: JurisdictionLookup;
  /** When given, a birth date after it is invalid. */
  today?: IsoDate;
}

export interface StayRowContext {
  /** China Standard Time date the extract is read: no admission or discharge may be after it. Data, never the clock. */
  today: IsoDate;
  /** Accepted for symmetry with the roster; the extract carries no jurisdiction. */
  jurisdictions?: JurisdictionLookup;
}

function field(raw: RawRecord, name: string): string {
  const value = raw[name];
  return value === undefined ? '' : value.trim();
}

function quarantine(reason: Quarantined['reason'], detail: string): Quarantined {
  return { ok: false, reason, detail };
}

function firstMissing(raw: RawRecord, names: readonly string[]): Quarantined | undefined {
  for (const name of names) if (field(raw, name) === '') return quarantine('missing_field', `${name}: empty`);
  return undefined;
}

function badDate(name: string, value: string): Quarantined {
  return quarantine('impossible_date', `${name}: ${JSON.stringify(value)} is not a real YYYY-MM-DD date`);
}

/** A roster row → a roster entry, or the reason it is quarantined. */
export function validateRosterRow(raw: RawRecord, ctx: RosterRowContext = {}): Checked<RosterEntry> {
  const absent = firstMissing(raw, ROSTER_REQUIRED);
  if (absent) return absent;
  const id = checkIdNumber(field(raw, 'id_number'), ctx.today);
  if (!id.ok) return id;
  const gender = field(raw, 'gender').toUpperCase();
  if (gender !== 'F' && gender !== 'M') return quarantine('invalid_gender', 'gender: expected F or M');
  const birthDate = field(raw, 'birth_date');
  const enrolledOn = field(raw, 'enrolled_on');
  const femaleText = field(raw, 'female_birth_date');
  const exitedText = field(raw, 'exited_on');
  for (const [name, value] of [
    ['birth_date', birthDate],
    ['female_birth_date', femaleText],
    ['enrolled_on', enrolledOn],
    ['exited_on', exitedText],
  ] as const) {
    if (value !== '' && parseIsoDate(value) === undefined) return badDate(name, value);
  }
  if (birthDate !== id.birthDate)
    return quarantine('id_birth_mismatch', 'birth_date: differs from the birth date in id_number');
  if (ctx.today !== undefined && femaleText !== '' && femaleText > ctx.today)
    return quarantine('future_date', `female_birth_date: after today (${ctx.today})`);
  const jurisdiction = field(raw, 'jurisdiction');
  if (!(ctx.jurisdictions ?? JURISDICTION_CODES).has(jurisdiction)) {
    return quarantine(
      'unknown_jurisdiction',
      `jurisdiction: ${JSON.stringify(jurisdiction)} is not a known code (data/jurisdictions.json)`,
    );
  }
  const category = field(raw, 'category');
  if (!CATEGORY_SET.has(category))
    return quarantine(
      'unknown_category',
      `category: ${JSON.stringify(category)} is not one of ${CATEGORIES.join(', ')}`,
    );
  // 第四条 age rule: one_child_parent looks at the person; the other categories at the family's female
  // partner, who is the beneficiary herself when female.
  let femaleBirthDate: IsoDate | null = null;
  if (category !== 'one_child_parent' && gender === 'M') {
    if (femaleText === '')
      return quarantine(
        'missing_field',
        `female_birth_date: empty, needed for a male beneficiary of ${category} (第四条 age rule)`,
      );
    femaleBirthDate = femaleText;
  }
  const exitedOn = exitedText === '' ? null : exitedText;
  if (exitedOn !== null && exitedOn < enrolledOn)
    return quarantine('exit_before_enrolment', 'exited_on: before enrolled_on');
  return {
    ok: true,
    row: {
      idNumber: id.idNumber,
      name: field(raw, 'name'),
      gender,
      birthDate,
      femaleBirthDate,
      jurisdiction,
      category: category as Category,
      bankCode: field(raw, 'bank_code'),
      accountNo: field(raw, 'account_no'),
      enrolledOn,
      exitedOn,
    },
  };
}

/** A medical-insurance extract row → a stay, or the reason it is quarantined. */
export function validateStayRow(raw: RawRecord, ctx: StayRowContext): Checked<Stay> {
  const absent = firstMissing(raw, STAY_REQUIRED);
  if (absent) return absent;
  const id = checkIdNumber(field(raw, 'id_number'), ctx.today);
  if (!id.ok) return id;
  const admissionDate = field(raw, 'admission_date');
  const dischargeDate = field(raw, 'discharge_date');
  const admission = parseIsoDate(admissionDate);
  if (admission === undefined) return badDate('admission_date', admissionDate);
  const discharge = parseIsoDate(dischargeDate);
  if (discharge === undefined) return badDate('discharge_date', dischargeDate);
  // D = A is a one-night stay; D < A cannot be (第四条 nights A … D−1).
  if (discharge < admission) return quarantine('discharge_before_admission', 'discharge_date: before admission_date');
  if (dischargeDate > ctx.today) return quarantine('future_date', `discharge_date: after today (${ctx.today})`);
  const exclusion = field(raw, 'exclusion');
  if (exclusion !== '' && !EXCLUSION_SET.has(exclusion)) {
    return quarantine(
      'unknown_exclusion',
      `exclusion: ${JSON.stringify(exclusion)} is not one of ${EXCLUSION_CODES.join(', ')} (第七条)`,
    );
  }
  return {
    ok: true,
    row: {
      recordId: field(raw, 'record_id'),
      idNumber: id.idNumber,
      name: field(raw, 'name'),
      hospital: field(raw, 'hospital'),
      admissionDate,
      dischargeDate,
      exclusion: exclusion === '' ? null : (exclusion as ExclusionCode),
    },
  };
}
