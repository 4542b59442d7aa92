import { parseIsoDate } from '../dates';
import { checkIdNumber } from './id-number';
import { isJurisdiction } from './jurisdictions';
import { CATEGORIES, EXCLUSION_CODES, type Category, type Checked, type ExclusionCode, type RosterEntry, type Stay } from './types';

export type RawRecord = Record<string, string | undefined>;

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
export const STAY_COLUMNS = ['record_id', 'id_number', 'name', 'hospital', 'admission_date', 'discharge_date', 'exclusion'] as const;

const field = (raw: RawRecord, name: string) => (raw[name] ?? '').trim();

function missing(raw: RawRecord, names: readonly string[]): Checked<never> | undefined {
  const absent = names.find((n) => field(raw, n) === '');
  return absent ? { ok: false, reason: 'missing_field', detail: `${absent}: empty` } : undefined;
}

function date(raw: RawRecord, name: string): number | Checked<never> {
  const day = parseIsoDate(field(raw, name));
  return day ?? { ok: false, reason: 'impossible_date', detail: `${name}: "${field(raw, name)}" is not a real YYYY-MM-DD date` };
}

/** A roster row (CONTRACT.md roster.csv) → a roster entry, or the reason it is quarantined. */
export function validateRosterRow(raw: RawRecord): Checked<RosterEntry> {
  const absent = missing(raw, ['id_number', 'name', 'gender', 'birth_date', 'jurisdiction', 'category', 'bank_code', 'account_no', 'enrolled_on']);
  if (absent) return absent;
  const id = checkIdNumber(field(raw, 'id_number'));
  if (!id.ok) return id;
  const gender = field(raw, 'gender').toUpperCase();
  if (gender !== 'F' && gender !== 'M') return { ok: false, reason: 'invalid_gender', detail: 'gender: expected F or M' };
  for (const name of ['birth_date', 'enrolled_on', 'female_birth_date', 'exited_on']) {
    if (field(raw, name) === '') continue;
    const d = date(raw, name);
    if (typeof d !== 'number') return d;
  }
  if (field(raw, 'birth_date') !== id.birthDate) return { ok: false, reason: 'id_birth_mismatch', detail: 'birth_date: differs from the birth date in id_number' };
  const jurisdiction = field(raw, 'jurisdiction');
  if (!isJurisdiction(jurisdiction)) return { ok: false, reason: 'unknown_jurisdiction', detail: `jurisdiction: "${jurisdiction}" is not a known code` };
  const category = field(raw, 'category') as Category;
  if (!CATEGORIES.includes(category)) return { ok: false, reason: 'unknown_category', detail: `category: "${category}" is not one of ${CATEGORIES.join(', ')}` };
  let femaleBirthDate: string | null = field(raw, 'female_birth_date') || null;
  if (category === 'one_child_parent' || gender === 'F') femaleBirthDate = null;
  else if (!femaleBirthDate) return { ok: false, reason: 'missing_field', detail: 'female_birth_date: needed for a male beneficiary of this category (第四条 age rule)' };
  const exitedOn = field(raw, 'exited_on') || null;
  if (exitedOn && exitedOn <= field(raw, 'enrolled_on')) return { ok: false, reason: 'exit_before_enrolment', detail: 'exited_on: not after enrolled_on' };
  return {
    ok: true,
    row: {
      idNumber: id.idNumber,
      name: field(raw, 'name'),
      gender,
      birthDate: id.birthDate,
      femaleBirthDate,
      jurisdiction,
      category,
      bankCode: field(raw, 'bank_code'),
      accountNo: field(raw, 'account_no'),
      enrolledOn: field(raw, 'enrolled_on'),
      exitedOn,
    },
  };
}

/**
 * An extract row (CONTRACT.md hospitalizations.csv) → a stay, or the reason it is quarantined.
 * `today` (China Standard Time) comes in as data: a stay may not end after it.
 */
export function validateStayRow(raw: RawRecord, ctx: { today: string }): Checked<Stay> {
  const absent = missing(raw, ['record_id', 'id_number', 'admission_date', 'discharge_date']);
  if (absent) return absent;
  const id = checkIdNumber(field(raw, 'id_number'));
  if (!id.ok) return id;
  const admission = date(raw, 'admission_date');
  if (typeof admission !== 'number') return admission;
  const discharge = date(raw, 'discharge_date');
  if (typeof discharge !== 'number') return discharge;
  const today = parseIsoDate(ctx.today)!;
  if (admission > today || discharge > today) return { ok: false, reason: 'future_date', detail: `${discharge > today ? 'discharge_date' : 'admission_date'}: after today (${ctx.today})` };
  if (discharge < admission) return { ok: false, reason: 'discharge_before_admission', detail: 'discharge_date: before admission_date' };
  const exclusion = field(raw, 'exclusion');
  if (exclusion && !EXCLUSION_CODES.includes(exclusion as ExclusionCode)) {
    return { ok: false, reason: 'unknown_exclusion', detail: `exclusion: "${exclusion}" is not one of ${EXCLUSION_CODES.join(', ')}` };
  }
  return {
    ok: true,
    row: {
      recordId: field(raw, 'record_id'),
      idNumber: id.idNumber,
      name: field(raw, 'name'),
      hospital: field(raw, 'hospital'),
      admissionDate: field(raw, 'admission_date'),
      dischargeDate: field(raw, 'discharge_date'),
      exclusion: (exclusion || null) as ExclusionCode | null,
    },
  };
}
