import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOf, isoOf, yearOf } from '../../platform/common/dates';
import {
  type Category,
  computeCycleFromRecords,
  computePerson,
  EXCLUSION_CODES,
  nextQuarter,
  type PersonInput,
  type RosterEntry,
  reconciles,
  STAY_COLUMNS,
  type Stay,
} from '../../subsidy/rules';
import { idFor, person, policy } from './fixtures';

const BASE = dayOf('2024-10-01');
const QUARTERS = ['2024Q4', '2025Q1', '2025Q2', '2025Q3', '2025Q4', '2026Q1'];

const arbPerson: fc.Arbitrary<RosterEntry> = fc
  .record({
    category: fc.constantFrom<Category>('one_child_parent', 'bereaved', 'disabled_child'),
    male: fc.boolean(),
    birth: fc.integer({ min: dayOf('1955-01-01'), max: dayOf('1978-12-31') }),
    partner: fc.integer({ min: dayOf('1970-01-01'), max: dayOf('1978-12-31') }),
    enrolled: fc.integer({ min: BASE - 400, max: BASE + 400 }),
    exitAfter: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
  })
  .map((r) =>
    person({
      category: r.category,
      gender: r.male ? 'M' : 'F',
      birthDate: isoOf(r.birth),
      femaleBirthDate: r.male && r.category !== 'one_child_parent' ? isoOf(r.partner) : null,
      enrolledOn: isoOf(r.enrolled),
      exitedOn: r.exitAfter === undefined ? null : isoOf(r.enrolled + r.exitAfter),
    }),
  );

const arbStays: fc.Arbitrary<Stay[]> = fc
  .array(
    fc.record({
      admission: fc.integer({ min: BASE, max: BASE + 540 }),
      length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 16, max: 90 })),
      excluded: fc.option(fc.constantFrom(...EXCLUSION_CODES), { freq: 8, nil: null }),
    }),
    { maxLength: 12 },
  )
  .map((list) =>
    list.map((s, i) => ({
      recordId: String(100 + i),
      idNumber: 'p',
      name: '',
      hospital: 'h',
      admissionDate: isoOf(s.admission),
      dischargeDate: isoOf(s.admission + s.length),
      exclusion: s.excluded,
    })),
  );

const arbPaid = fc
  .uniqueArray(fc.integer({ min: BASE - 100, max: BASE + 600 }), { maxLength: 80 })
  .map((days) => days.map(isoOf));

const arbInput: fc.Arbitrary<PersonInput> = fc
  .record({
    person: fc.option(arbPerson, { freq: 8, nil: undefined }),
    stays: arbStays,
    paid: arbPaid,
    quarter: fc.constantFrom(...QUARTERS),
  })
  .map((r) => ({ person: r.person, stays: r.stays, alreadyPaidNights: r.paid, quarter: r.quarter, policy }));

describe('properties of the computation (fast-check)', () => {
  it('shuffling the input rows never changes the payments or any row’s outcome', () => {
    fc.assert(
      fc.property(arbInput, fc.func(fc.integer()), (input, key) => {
        const shuffled = [...input.stays].sort(
          (a, b) => key(a.recordId) - key(b.recordId) || a.recordId.localeCompare(b.recordId),
        );
        const x = computePerson(input);
        const y = computePerson({ ...input, stays: shuffled });
        expect(y.payments).toEqual(x.payments);
        const byId = new Map(x.rows.map((r) => [r.recordId, r]));
        for (const row of y.rows) expect(row).toEqual(byId.get(row.recordId));
      }),
      { numRuns: 400 },
    );
  });

  it('every split adds up, and the city share is round-half-up of 40 %', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        for (const p of computePerson(input).payments) {
          expect(p.cityShareFen + p.countyShareFen).toBe(p.amountFen);
          expect(BigInt(p.cityShareFen)).toBe((BigInt(p.amountFen) * 4000n * 2n + 10000n) / 20000n);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('no person-year exceeds the cap, counting the nights paid before', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const before = new Map<number, number>();
        for (const n of input.alreadyPaidNights) before.set(yearOf(dayOf(n)), (before.get(yearOf(dayOf(n))) ?? 0) + 1);
        const now = new Map<number, number>();
        for (const p of computePerson(input).payments)
          for (const n of p.nightDates) now.set(yearOf(dayOf(n)), (now.get(yearOf(dayOf(n))) ?? 0) + 1);
        for (const [year, count] of now) expect(count).toBeLessThanOrEqual(Math.max(0, 60 - (before.get(year) ?? 0)));
      }),
      { numRuns: 400 },
    );
  });

  it('a night is never paid twice, within a cycle or across cycles', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const { rows, payments } = computePerson(input);
        const seen = new Set(input.alreadyPaidNights);
        for (const row of rows) {
          for (const n of row.paidNights) {
            expect(seen.has(n)).toBe(false);
            seen.add(n);
          }
        }
        const nightsInPayments = payments.flatMap((p) => p.nightDates);
        expect(new Set(nightsInPayments).size).toBe(nightsInPayments.length);
        expect(payments.reduce((s, p) => s + p.nights, 0)).toBe(rows.reduce((s, r) => s + r.nights, 0));
        expect(payments.reduce((s, p) => s + p.amountFen, 0)).toBe(rows.reduce((s, r) => s + r.amountFen, 0));
      }),
      { numRuns: 400 },
    );
  });

  it('cycle after cycle, with paid nights carried forward: each night once, each year ≤ 60', () => {
    fc.assert(
      fc.property(arbPerson, arbStays, (p, stays) => {
        const paid: string[] = [];
        const paidRecords = new Set<string>();
        for (let q = '2024Q4'; q !== '2026Q3'; q = nextQuarter(q)) {
          const result = computePerson({
            person: p,
            stays,
            alreadyPaidNights: paid,
            alreadyPaidRecordIds: paidRecords,
            quarter: q,
            policy,
          });
          for (const row of result.rows) if (row.outcome === 'paid') paidRecords.add(row.recordId);
          for (const payment of result.payments) paid.push(...payment.nightDates);
        }
        expect(new Set(paid).size).toBe(paid.length);
        const perYear = new Map<number, number>();
        for (const n of paid) perYear.set(yearOf(dayOf(n)), (perYear.get(yearOf(dayOf(n))) ?? 0) + 1);
        for (const count of perYear.values()) expect(count).toBeLessThanOrEqual(60);
      }),
      { numRuns: 200 },
    );
  });

  it('every row ends in exactly one outcome: rows in = paid + not eligible + excluded + quarantined', () => {
    const arbRaw = fc.record({
      record_id: fc.oneof(fc.constantFrom('1', '2', '3', '4', '5', '6', '7', '8'), fc.constant('')),
      id_number: fc.oneof(
        fc.constantFrom(idFor('1950-03-10'), idFor('1960-05-05', 126), idFor('1950-03-10').slice(0, 17) + 'Q', '4110'),
        fc.constant(''),
      ),
      name: fc.constant('某'),
      hospital: fc.constant('h'),
      admission_date: fc.oneof(
        fc.integer({ min: BASE, max: BASE + 400 }).map(isoOf),
        fc.constantFrom('2025-02-30', ''),
      ),
      discharge_date: fc.oneof(
        fc.integer({ min: BASE, max: BASE + 420 }).map(isoOf),
        fc.constantFrom('2031-01-01', 'x'),
      ),
      exclusion: fc.constantFrom('', '', '', 'abroad', 'drunk'),
    });
    fc.assert(
      fc.property(fc.array(arbRaw, { maxLength: 40 }), (records) => {
        const roster = [
          {
            id_number: idFor('1950-03-10'),
            name: '甲',
            gender: 'F',
            birth_date: '1950-03-10',
            female_birth_date: '',
            jurisdiction: '411002',
            category: 'one_child_parent',
            bank_code: 'B',
            account_no: '1',
            enrolled_on: '2020-01-01',
            exited_on: '',
          },
        ];
        const result = computeCycleFromRecords({
          rosterRecords: roster,
          stayRecords: records,
          today: '2026-01-10',
          quarter: '2025Q4',
          policy,
        });
        expect(result.report).toHaveLength(records.length);
        expect(result.counts.rowsIn).toBe(records.length);
        expect(reconciles(result.counts)).toBe(true);
        for (const row of result.report)
          expect(['paid', 'not_eligible', 'excluded', 'quarantined']).toContain(row.outcome);
        expect(Object.keys(records[0] ?? {}).sort()).toEqual(records.length ? [...STAY_COLUMNS].sort() : []);
      }),
      { numRuns: 300 },
    );
  });
});
