import { describe, expect, it } from 'vitest';
import { computePerson, currentPolicy, parsePolicy, type PersonInput } from '../../domain/subsidy';
import { dayOf, isoOf } from '../../domain/dates';
import { person, stay } from './fixtures';

const policy = currentPolicy();
const consecutiveNights = (from: string, count: number) => Array.from({ length: count }, (_, i) => isoOf(dayOf(from) + i));
const run = (input: Partial<PersonInput> & Pick<PersonInput, 'stays'>) =>
  computePerson({ person: person(), alreadyPaidNights: [], quarter: '2025Q3', policy, ...input });

describe('第四条 nights and rates', () => {
  it.each([
    ['a 10-day stay is 10 nights (A … D−1)', '2025-07-01', '2025-07-11', 10],
    ['a same-day stay is one night', '2025-07-05', '2025-07-05', 1],
    ['an overnight stay is one night', '2025-07-05', '2025-07-06', 1],
  ])('%s', (_name, a, d, nights) => {
    const result = run({ stays: [stay(a, d)] });
    expect(result.rows[0]).toMatchObject({ outcome: 'paid', nights, amountFen: nights * 10_000 });
    expect(result.payments[0]).toMatchObject({ kind: 'regular', nights, amountFen: nights * 10_000 });
  });

  it('pays 150 yuan a night to bereaved and disabled-child families, 100 to one-child parents', () => {
    for (const [category, rate] of [
      ['bereaved', 15_000],
      ['disabled_child', 15_000],
      ['one_child_parent', 10_000],
    ] as const) {
      const result = run({ person: person({ category }), stays: [stay('2025-08-01', '2025-08-04')] });
      expect(result.payments[0]!.amountFen, category).toBe(3 * rate);
    }
  });

  it('caps a person at 60 nights a year, granted in date order, the rest explained', () => {
    const result = run({ stays: [stay('2025-07-01', '2025-08-15'), stay('2025-09-01', '2025-09-21')] });
    expect(result.rows.map((r) => r.nights)).toEqual([45, 15]);
    expect(result.rows[1]!.explanation.join('\n')).toMatch(/2025-09-16..2025-09-20 not counted: annual cap/);
    expect(result.payments[0]!.nights).toBe(60);
  });

  it('counts nights already paid in earlier quarters against the cap, and never pays them again', () => {
    const result = run({ alreadyPaidNights: consecutiveNights('2025-04-01', 58), stays: [stay('2025-07-01', '2025-07-06')] });
    expect(result.rows[0]).toMatchObject({ outcome: 'paid', nights: 2 });
    const twice = run({ alreadyPaidNights: ['2025-07-01', '2025-07-02'], stays: [stay('2025-07-01', '2025-07-04')] });
    expect(twice.rows[0]).toMatchObject({ nights: 1, paidNights: ['2025-07-03'] });
  });

  it('turns 60 mid-stay: nights from the birthday count', () => {
    const result = run({ person: person({ birthDate: '1965-07-10' }), stays: [stay('2025-07-05', '2025-07-15')] });
    expect(result.rows[0]).toMatchObject({ nights: 5, paidNights: ['2025-07-10', '2025-07-11', '2025-07-12', '2025-07-13', '2025-07-14'] });
    expect(result.rows[0]!.explanation.join('\n')).toMatch(/2025-07-05..2025-07-09 not counted: .*\(第四条\)/);
  });

  it('born on 29 February: the age is reached on 29 February in a leap year, on 1 March in a common year', () => {
    const leapYear = run({ person: person({ birthDate: '1964-02-29' }), stays: [stay('2024-02-27', '2024-03-03')], quarter: '2024Q1' });
    expect(leapYear.rows[0]!.paidNights).toEqual(['2024-02-29', '2024-03-01', '2024-03-02']);
    // A bereaved mother born 1964-02-29 turns 49 in 2013, a common year: on 1 March.
    const commonYear = run({ person: person({ birthDate: '1964-02-29', category: 'bereaved', enrolledOn: '2010-01-01' }), stays: [stay('2013-02-27', '2013-03-03')], quarter: '2013Q1' });
    expect(commonYear.rows[0]!.paidNights).toEqual(['2013-03-01', '2013-03-02']);
  });

  it('bereaved: the female partner turning 49 mid-stay decides, not the man', () => {
    const man = person({ gender: 'M', category: 'bereaved', birthDate: '1950-01-01', femaleBirthDate: '1976-08-03' });
    const result = run({ person: man, stays: [stay('2025-08-01', '2025-08-06')] });
    expect(result.rows[0]!.paidNights).toEqual(['2025-08-03', '2025-08-04', '2025-08-05']);
    expect(result.payments[0]!.amountFen).toBe(3 * 15_000);
  });
});

describe('第五条 a stay across 31 December', () => {
  it('splits nights by calendar year, each year with its own cap', () => {
    const result = run({
      quarter: '2026Q1',
      alreadyPaidNights: consecutiveNights('2025-04-01', 59),
      stays: [stay('2025-12-29', '2026-01-03')],
    });
    // 2025 has one night left (12-29); 12-30, 12-31 hit the 2025 cap; 2026's nights start afresh.
    expect(result.rows[0]!.paidNights).toEqual(['2025-12-29', '2026-01-01', '2026-01-02']);
  });

  it('uses each year’s rate: a 2027 rate change is a data change', () => {
    const entry = (effectiveFrom: string, rates: [number, number, number]) => ({
      effectiveFrom,
      basis: 'test',
      dailyRateFen: { one_child_parent: rates[0], bereaved: rates[1], disabled_child: rates[2] },
      annualCapNights: 60,
      ageRule: {
        one_child_parent: { subject: 'beneficiary', minAge: 60 },
        bereaved: { subject: 'female_partner', minAge: 49 },
        disabled_child: { subject: 'female_partner', minAge: 49 },
      },
      cityShareBasisPoints: 4000,
    });
    const table = parsePolicy({ version: 'test-2027', source: 'test', selection: 'test', entries: [entry('2025-06-18', [10_000, 15_000, 15_000]), entry('2027-01-01', [12_000, 18_000, 18_000])] });
    const result = computePerson({ person: person(), alreadyPaidNights: [], quarter: '2027Q1', policy: table, stays: [stay('2026-12-30', '2027-01-02')] });
    expect(result.rows[0]!.amountFen).toBe(2 * 10_000 + 1 * 12_000);
    expect(result.payments[0]!.policyVersion).toBe('test-2027');
  });
});

describe('roster window (第十一条) and roster membership (第二条)', () => {
  it('pays nothing to someone not on the roster', () => {
    expect(run({ person: undefined, stays: [stay('2025-07-01', '2025-07-03')] }).rows[0]).toMatchObject({ outcome: 'not_eligible', reason: 'not_on_roster' });
  });
  it('stops at the exit date, and starts at enrolment', () => {
    const exited = run({ person: person({ exitedOn: '2025-07-03' }), stays: [stay('2025-07-01', '2025-07-06')] });
    expect(exited.rows[0]!.paidNights).toEqual(['2025-07-01', '2025-07-02']);
    const late = run({ person: person({ enrolledOn: '2025-07-04' }), stays: [stay('2025-07-01', '2025-07-06')] });
    expect(late.rows[0]!.paidNights).toEqual(['2025-07-04', '2025-07-05']);
    const never = run({ person: person({ enrolledOn: '2025-09-01' }), stays: [stay('2025-07-01', '2025-07-06')] });
    expect(never.rows[0]).toMatchObject({ outcome: 'not_eligible', reason: 'not_enrolled' });
  });
});

describe('overlapping stays', () => {
  it('a shared night belongs to the earliest admission, then the lowest record id', () => {
    const a = stay('2025-07-01', '2025-07-05', { recordId: '20' });
    const b = stay('2025-07-03', '2025-07-08', { recordId: '10' });
    const result = run({ stays: [b, a] });
    expect(result.rows[1]!.paidNights).toEqual(['2025-07-01', '2025-07-02', '2025-07-03', '2025-07-04']);
    expect(result.rows[0]!.paidNights).toEqual(['2025-07-05', '2025-07-06', '2025-07-07']);
    const same = run({ stays: [stay('2025-07-01', '2025-07-03', { recordId: '9' }), stay('2025-07-01', '2025-07-03', { recordId: '10' })] });
    expect(same.rows[0]).toMatchObject({ nights: 2 });
    expect(same.rows[1]).toMatchObject({ outcome: 'not_eligible', reason: 'overlap', nights: 0 });
  });
  it('a nested stay adds nothing', () => {
    const result = run({ stays: [stay('2025-07-01', '2025-07-20'), stay('2025-07-05', '2025-07-08')] });
    expect(result.payments[0]!.nights).toBe(19);
    expect(result.rows[1]).toMatchObject({ reason: 'overlap' });
  });
});

describe('第七条 exclusions', () => {
  it.each(['traffic_insured', 'illegal_driving', 'workplace_violation', 'unlicensed_activity', 'abroad'] as const)('%s is excluded with its code', (code) => {
    const result = run({ stays: [stay('2025-07-01', '2025-07-05', { exclusion: code })] });
    expect(result.rows[0]).toMatchObject({ outcome: 'excluded', reason: code, nights: 0 });
    expect(result.payments).toEqual([]);
  });
});

describe('第十二条 regular and back-pay', () => {
  it('a discharge before the quarter is back-pay, in the quarter regular, after it waits', () => {
    const result = run({ stays: [stay('2025-06-01', '2025-06-03'), stay('2025-07-01', '2025-07-03'), stay('2025-10-01', '2025-10-02')] });
    expect(result.payments.map((p) => [p.kind, p.nights])).toEqual([
      ['regular', 2],
      ['back_pay', 2],
    ]);
    expect(result.rows[2]).toMatchObject({ outcome: 'not_eligible', reason: 'discharged_after_quarter' });
  });
});

describe('第八条 funding split', () => {
  it('city share rounds half up, county takes the rest', () => {
    const result = run({ person: person({ category: 'bereaved' }), stays: [stay('2025-07-01', '2025-07-02')] });
    expect(result.payments[0]).toMatchObject({ amountFen: 15_000, cityShareFen: 6_000, countyShareFen: 9_000 });
  });
});
