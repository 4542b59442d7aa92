import policyJson from '../../data/subsidy-policy.json';
import { makeIdNumber } from '../../platform/common/resident-id';
import { currentPolicy, type Policy, parsePolicy, type RosterEntry, type Stay } from '../../subsidy/rules';

/** A valid GB 11643 number for a birth date and a sequence (odd = male). */
export function idFor(birthDate: string, seq = 124, region = '411002'): string {
  return makeIdNumber(region, birthDate, seq);
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

let next = 1000;
export function stay(admissionDate: string, dischargeDate: string, overrides: Partial<Stay> = {}): Stay {
  return {
    recordId: String(next++),
    idNumber: 'p',
    name: '',
    hospital: '许昌市中心医院',
    admissionDate,
    dischargeDate,
    exclusion: null,
    ...overrides,
  };
}

export const policy: Policy = currentPolicy();

/** The shipped table plus later entries: how a rate change is made (data only). */
export function policyWith(version: string, ...entries: Record<string, unknown>[]): Policy {
  const base = structuredClone(policyJson) as { version: string; entries: Record<string, unknown>[] };
  const first = base.entries[0]!;
  return parsePolicy({
    ...base,
    version,
    entries: [...base.entries, ...entries.map((e) => ({ ...structuredClone(first), ...e }))],
  });
}

/** Consecutive ISO dates from `first`, `count` of them. */
export function nights(first: string, count: number): string[] {
  const out: string[] = [];
  const d = new Date(`${first}T00:00:00Z`);
  for (let i = 0; i < count; i++) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}
