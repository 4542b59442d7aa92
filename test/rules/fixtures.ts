import { checkCharacter } from '../../domain/subsidy/id-number';
import type { RosterEntry, Stay } from '../../domain/subsidy';

/** A valid GB 11643 number for a birth date (YYYY-MM-DD) and a sequence. */
export function idFor(birthDate: string, seq = 123, region = '411002'): string {
  const first17 = `${region}${birthDate.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

export function person(overrides: Partial<RosterEntry> = {}): RosterEntry {
  const birthDate = overrides.birthDate ?? '1950-03-10';
  return {
    idNumber: idFor(birthDate),
    name: '王桂兰',
    gender: 'F',
    birthDate,
    femaleBirthDate: null,
    jurisdiction: '411002',
    category: 'one_child_parent',
    bankCode: 'ICBC',
    accountNo: '6222020200001234567',
    enrolledOn: '2020-01-01',
    exitedOn: null,
    ...overrides,
  };
}

let next = 1;
export function stay(admissionDate: string, dischargeDate: string, overrides: Partial<Stay> = {}): Stay {
  return { recordId: String(next++), idNumber: 'p', name: '', hospital: 'h', admissionDate, dischargeDate, exclusion: null, ...overrides };
}
