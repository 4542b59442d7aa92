import { describe, expect, it } from 'vitest';
import { checkIdNumber, type RawRecord, validateRosterRow, validateStayRow } from '../../subsidy/rules';
import { idFor } from './fixtures';

const id = idFor('1950-03-10'); // female (even sequence)
const today = { today: '2025-10-08' };
const goodStay = {
  record_id: '1',
  id_number: id,
  name: '王桂兰',
  hospital: '许昌市中心医院',
  admission_date: '2025-07-01',
  discharge_date: '2025-07-05',
  exclusion: '',
};
const goodRoster = {
  id_number: id,
  name: '王桂兰',
  gender: 'F',
  birth_date: '1950-03-10',
  female_birth_date: '',
  jurisdiction: '411002',
  category: 'one_child_parent',
  bank_code: 'ICBC',
  account_no: '6222020200001234567',
  enrolled_on: '2020-01-01',
  exited_on: '',
};

function flipCheck(n: string): string {
  return n.slice(0, 17) + (n[17] === '0' ? '1' : '0');
}

describe('GB 11643 resident ID numbers', () => {
  it('accepts a valid number and reads birth date and sex from it', () => {
    expect(checkIdNumber(id)).toEqual({
      ok: true,
      idNumber: id,
      birthDate: '1950-03-10',
      gender: 'F',
      region: '411002',
    });
    expect(checkIdNumber(idFor('1950-03-10', 125))).toMatchObject({ gender: 'M' });
  });
  it('accepts a lower-case x check character and returns it upper-case', () => {
    // 11010519491231002X is the standard's published example
    expect(checkIdNumber('11010519491231002x')).toMatchObject({
      ok: true,
      idNumber: '11010519491231002X',
      birthDate: '1949-12-31',
    });
  });
  it.each([
    ['a wrong check digit', flipCheck(id), 'bad_id_checksum'],
    ['17 characters', id.slice(0, 17), 'bad_id_format'],
    ['a letter inside', `${id.slice(0, 5)}A${id.slice(6)}`, 'bad_id_format'],
    ['an unknown province', `99${id.slice(2)}`, 'bad_id_format'],
    ['an impossible birth date', '411002195002300000', 'bad_id_format'],
    ['a 15-digit first-generation number', '411002500310123', 'bad_id_format'],
  ])('rejects %s', (_what, number, reason) => {
    const result = checkIdNumber(number);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.detail).not.toContain(number);
  });
  it('rejects a birth date after today', () => {
    expect(checkIdNumber(idFor('2025-12-01'), '2025-10-08')).toMatchObject({ ok: false, reason: 'bad_id_format' });
  });
});

describe('extract rows (hospitalizations.csv) → a stay or a quarantine reason naming the column', () => {
  it('accepts a good row, trimming values', () => {
    expect(validateStayRow({ ...goodStay, record_id: ' 1 ', exclusion: 'abroad' }, today)).toEqual({
      ok: true,
      row: {
        recordId: '1',
        idNumber: id,
        name: '王桂兰',
        hospital: '许昌市中心医院',
        admissionDate: '2025-07-01',
        dischargeDate: '2025-07-05',
        exclusion: 'abroad',
      },
    });
  });
  it.each([
    ['missing_field', { record_id: '' }, 'record_id'],
    ['missing_field', { discharge_date: ' ' }, 'discharge_date'],
    ['bad_id_checksum', { id_number: flipCheck(id) }, 'id_number'],
    ['bad_id_format', { id_number: '41100219500310' }, 'id_number'],
    ['impossible_date', { admission_date: '2025-02-30' }, 'admission_date'],
    ['impossible_date', { discharge_date: '2025/07/05' }, 'discharge_date'],
    ['discharge_before_admission', { admission_date: '2025-07-06' }, 'discharge_date'],
    ['future_date', { discharge_date: '2025-10-09' }, 'discharge_date'],
    ['unknown_exclusion', { exclusion: 'drunk' }, 'exclusion'],
  ] as [string, Partial<RawRecord>, string][])('%s (%j)', (reason, change, column) => {
    const result = validateStayRow({ ...goodStay, ...change }, today);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) {
      expect(result.detail.startsWith(`${column}:`)).toBe(true);
      expect(result.detail).not.toContain(id);
    }
  });
  it('a same-day stay is valid; discharged today is not in the future', () => {
    expect(validateStayRow({ ...goodStay, admission_date: '2025-10-08', discharge_date: '2025-10-08' }, today).ok).toBe(
      true,
    );
  });
});

describe('roster rows (roster.csv) → a roster entry or a quarantine reason', () => {
  it('accepts a good row', () => {
    expect(validateRosterRow(goodRoster)).toEqual({
      ok: true,
      row: {
        idNumber: id,
        name: '王桂兰',
        gender: 'F',
        birthDate: '1950-03-10',
        femaleBirthDate: null,
        jurisdiction: '411002',
        category: 'one_child_parent',
        bankCode: 'ICBC',
        accountNo: '6222020200001234567',
        enrolledOn: '2020-01-01',
        exitedOn: null,
      },
    });
  });
  it('keeps the female partner’s birth date for a man in bereaved/disabled_child, and requires it', () => {
    const man = { ...goodRoster, id_number: idFor('1950-03-10', 125), gender: 'M', category: 'bereaved' };
    expect(validateRosterRow({ ...man, female_birth_date: '1955-01-01' })).toMatchObject({
      ok: true,
      row: { femaleBirthDate: '1955-01-01' },
    });
    expect(validateRosterRow(man)).toMatchObject({ ok: false, reason: 'missing_field' });
  });
  it('accepts the management zones’ internal codes', () => {
    for (const code of ['X41101', 'X41102', 'X41103'])
      expect(validateRosterRow({ ...goodRoster, jurisdiction: code }).ok).toBe(true);
  });
  it.each([
    ['missing_field', { account_no: '' }, 'account_no'],
    ['bad_id_checksum', { id_number: flipCheck(id) }, 'id_number'],
    ['invalid_gender', { gender: '女' }, 'gender'],
    ['impossible_date', { enrolled_on: '2023-02-30' }, 'enrolled_on'],
    ['id_birth_mismatch', { birth_date: '1950-03-11' }, 'birth_date'],
    ['unknown_jurisdiction', { jurisdiction: '411099' }, 'jurisdiction'],
    ['unknown_jurisdiction', { jurisdiction: '411071' }, 'jurisdiction'],
    ['unknown_category', { category: 'orphan' }, 'category'],
    ['exit_before_enrolment', { exited_on: '2019-12-31' }, 'exited_on'],
  ] as [string, Partial<RawRecord>, string][])('%s (%j)', (reason, change, column) => {
    const result = validateRosterRow({ ...goodRoster, ...change });
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.detail.startsWith(`${column}:`)).toBe(true);
  });
  it('takes the list of jurisdictions from the context when given', () => {
    expect(validateRosterRow(goodRoster, { jurisdictions: new Set(['411003']) })).toMatchObject({
      ok: false,
      reason: 'unknown_jurisdiction',
    });
  });
});
