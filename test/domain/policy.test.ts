import { describe, expect, it } from 'vitest';
import jurisdictionsJson from '../../data/jurisdictions.json';
import policyJson from '../../data/subsidy-policy.json';
import { dayOf } from '../../platform/common/dates';
import {
  annualCap,
  computePerson,
  currentPolicy,
  dailyRateFen,
  entryOn,
  JURISDICTIONS,
  parseJurisdictions,
  parsePolicy,
} from '../../subsidy/rules';
import { person, policyWith, stay } from './fixtures';

describe('the dated policy table (data/subsidy-policy.json)', () => {
  it('holds the Measure’s figures (第四条, 第八条) from 2025-06-18 (第十六条)', () => {
    const policy = currentPolicy();
    expect(policy.version).toBe('2025-06-18.1');
    const entry = entryOn(policy, dayOf('2025-07-01'));
    expect(entry).toMatchObject({
      effectiveFrom: '2025-06-18',
      dailyRateFen: { one_child_parent: 10000, bereaved: 15000, disabled_child: 15000 },
      annualCapNights: 60,
      ageRule: {
        one_child_parent: { subject: 'beneficiary', minAge: 60 },
        bereaved: { subject: 'female_partner', minAge: 49 },
      },
      cityShareBasisPoints: 4000,
    });
  });
  it('earlier years use the same figures', () => {
    expect(dailyRateFen(currentPolicy(), 'bereaved', dayOf('2024-03-01'))).toBe(15000);
    expect(annualCap(currentPolicy(), 2024)).toBe(60);
  });
  it('a 2027 rate change is a data change: a modified table changes 2027 nights only', () => {
    const p = policyWith('2027-01-01.1', {
      effectiveFrom: '2027-01-01',
      dailyRateFen: { one_child_parent: 12000, bereaved: 18000, disabled_child: 18000 },
    });
    const elder = person();
    const { rows, payments } = computePerson({
      person: elder,
      stays: [stay('2026-12-30', '2027-01-02')],
      alreadyPaidNights: [],
      quarter: '2027Q1',
      policy: p,
    });
    expect(rows[0]).toMatchObject({ nights: 3, amountFen: 10000 + 10000 + 12000 });
    expect(payments[0]).toMatchObject({
      amountFen: 32000,
      cityShareFen: 12800,
      countyShareFen: 19200,
      policyVersion: '2027-01-01.1',
    });
  });
  it('a year’s cap is the one in force on its 1 January', () => {
    const p = policyWith(
      'caps',
      { effectiveFrom: '2027-01-01', annualCapNights: 90 },
      { effectiveFrom: '2027-07-01', annualCapNights: 30 },
    );
    expect(annualCap(p, 2026)).toBe(60);
    expect(annualCap(p, 2027)).toBe(90);
    expect(annualCap(p, 2028)).toBe(30);
  });
  it('the funding split is the one in force on the last day of the cycle’s quarter', () => {
    const p = policyWith('split', { effectiveFrom: '2027-03-01', cityShareBasisPoints: 5000 });
    const { payments } = computePerson({
      person: person(),
      stays: [stay('2027-01-10', '2027-01-12')],
      alreadyPaidNights: [],
      quarter: '2027Q1',
      policy: p,
    });
    expect(payments[0]).toMatchObject({ amountFen: 20000, cityShareFen: 10000 });
  });
  it('rejects a malformed table with a readable message', () => {
    expect(() => parsePolicy({ ...policyJson, entries: [] })).toThrow(/invalid subsidy policy table/);
    const bad = structuredClone(policyJson);
    (bad.entries[0]!.dailyRateFen as Record<string, number>).bereaved = 150.5;
    expect(() => parsePolicy(bad)).toThrow(/dailyRateFen/);
    const twice = structuredClone(policyJson);
    twice.entries.push(structuredClone(twice.entries[0]!));
    expect(() => parsePolicy(twice)).toThrow(/same effectiveFrom/);
  });
});

describe('jurisdictions (data/jurisdictions.json)', () => {
  it('lists the six GB/T 2260 codes and the three management zones with stable internal codes', () => {
    expect(JURISDICTIONS.map((j) => `${j.code} ${j.name}`)).toEqual([
      '411002 魏都区',
      '411003 建安区',
      '411024 鄢陵县',
      '411025 襄城县',
      '411081 禹州市',
      '411082 长葛市',
      'X41101 城乡一体化示范区',
      'X41102 经济技术开发区',
      'X41103 东城区',
    ]);
  });
  it('rejects a duplicate code', () => {
    const bad = structuredClone(jurisdictionsJson);
    bad.jurisdictions.push(structuredClone(bad.jurisdictions[0]!));
    expect(() => parseJurisdictions(bad)).toThrow();
  });
});
