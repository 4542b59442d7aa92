import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayAgeReached, dayOf, isoOf, parseIsoDate, weekdayOf, yearOf } from '../../platform/common/dates';

describe('integer calendar dates', () => {
  it('matches the platform calendar for every day 1900–2100', () => {
    fc.assert(
      fc.property(fc.integer({ min: -25567, max: 47482 }), (day) => {
        const iso = new Date(day * 86_400_000).toISOString().slice(0, 10);
        expect(isoOf(day)).toBe(iso);
        expect(dayOf(iso)).toBe(day);
        expect(yearOf(day)).toBe(Number(iso.slice(0, 4)));
        expect(weekdayOf(day)).toBe(new Date(day * 86_400_000).getUTCDay());
      }),
    );
  });
  it.each([
    '2025-02-29',
    '2025-13-01',
    '2025-00-10',
    '2025-04-31',
    '2025-7-1',
    ' 2025-07-01',
    '2025/07/01',
    '',
    '20250701',
  ])('rejects %j', (text) => {
    expect(parseIsoDate(text)).toBeUndefined();
  });
  it('accepts 29 February in leap years only', () => {
    expect(parseIsoDate('2024-02-29')).toBeDefined();
    expect(parseIsoDate('2000-02-29')).toBeDefined();
    expect(parseIsoDate('1900-02-29')).toBeUndefined();
  });
  it('reaches an age on the birthday; a 29 February birthday on 1 March of a common year', () => {
    expect(isoOf(dayAgeReached('1965-07-15', 60))).toBe('2025-07-15');
    expect(isoOf(dayAgeReached('1976-02-29', 49))).toBe('2025-03-01');
    expect(isoOf(dayAgeReached('1964-02-29', 60))).toBe('2024-02-29');
  });
});
