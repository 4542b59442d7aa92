import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  computeCycle,
  firstDayOfQuarter,
  lastDayOfQuarter,
  nextQuarter,
  parseQuarter,
  previousQuarter,
  quarterContaining,
} from '../../subsidy/rules';
import { idFor, person, policy, stay } from './fixtures';

describe('computeCycle: a whole cycle over valid rows', () => {
  it('groups by person, keeps input order, orders payments by jurisdiction, id number, kind', () => {
    const a = person({ idNumber: idFor('1950-03-10', 124, '411081'), jurisdiction: '411081' });
    const b = person({ idNumber: idFor('1951-01-01', 124, '411002'), birthDate: '1951-01-01', jurisdiction: '411002' });
    const stays = [
      stay('2025-07-01', '2025-07-03', { idNumber: a.idNumber }),
      stay('2025-06-01', '2025-06-03', { idNumber: b.idNumber }),
      stay('2025-07-01', '2025-07-02', { idNumber: b.idNumber }),
      stay('2025-07-01', '2025-07-02', { idNumber: idFor('1949-01-01') }),
    ];
    const result = computeCycle([a, b], stays, new Map([[a.idNumber, ['2025-07-01']]]), '2025Q3', policy);
    expect(result.rows.map((r) => [r.recordId, r.outcome, r.nights])).toEqual([
      [stays[0]!.recordId, 'paid', 1],
      [stays[1]!.recordId, 'paid', 2],
      [stays[2]!.recordId, 'paid', 1],
      [stays[3]!.recordId, 'not_eligible', 0],
    ]);
    expect(result.payments.map((p) => [p.jurisdiction, p.kind, p.amountFen])).toEqual([
      ['411002', 'back_pay', 20000],
      ['411002', 'regular', 10000],
      ['411081', 'regular', 10000],
    ]);
    expect(result.counts).toEqual({ rowsIn: 4, paid: 3, not_eligible: 1, excluded: 0, quarantined: 0 });
  });
});

describe('quarters', () => {
  it('parses, steps and bounds quarters', () => {
    expect(parseQuarter('2025Q4')).toMatchObject({ year: 2025, number: 4 });
    expect(() => parseQuarter('2025Q5')).toThrow(/expected YYYYQn/);
    expect([firstDayOfQuarter('2025Q1'), lastDayOfQuarter('2025Q1')]).toEqual(['2025-01-01', '2025-03-31']);
    expect(lastDayOfQuarter('2024Q1')).toBe('2024-03-31');
    expect(lastDayOfQuarter('2025Q4')).toBe('2025-12-31');
    expect([
      previousQuarter('2025Q1'),
      nextQuarter('2025Q4'),
      quarterContaining('2025-09-30'),
      quarterContaining('2025-10-01'),
    ]).toEqual(['2024Q4', '2026Q1', '2025Q3', '2025Q4']);
  });
});

describe('the rules core is pure (importable from Temporal workflow code)', () => {
  // The subsidy core and the shared helpers it uses (domain/housing belongs to the housing work).
  const root = path.resolve(import.meta.dirname, '../..');
  const folders = [path.join(root, 'platform/common'), path.join(root, 'subsidy/rules')];
  const files = folders.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(dir, f)),
  );
  it.each(files.map((f) => [path.relative(root, f), f]))(
    '%s: no node:* import, no clock, no randomness',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      expect(source).not.toMatch(/from ['"](node:|fs|path|os|crypto|child_process)/);
      expect(source).not.toMatch(/Math\.random|Date\.now|performance\.now/);
      // The only Date construction: shanghaiToday's documented default for activity callers.
      const dates = source.split('\n').filter((line) => /new Date\(/.test(line));
      expect(dates.every((line) => line.includes('shanghaiToday(now: Date = new Date())'))).toBe(true);
    },
  );
});
