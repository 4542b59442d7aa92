import { describe, expect, it } from 'vitest';
import { CalendarNotCoveredError, cycleDeadlinesFor, shanghaiToday } from '../../domain/calendar';

// 第十条: the extract within the first 5 working days of the quarter's first month; payment by its end.
// Checked by hand against the State Council's holiday notices for 2025 and 2026.
describe('第十条 deadlines', () => {
  it.each([
    ['2024Q4', '2025-01-08', '2025-01-27'], // 元旦 1 Jan; 26 Jan (Sun) is a make-up workday, 28 Jan starts 春节
    ['2025Q1', '2025-04-08', '2025-04-30'], // 清明 4 Apr; 27 Apr (Sun) make-up workday
    ['2025Q2', '2025-07-07', '2025-07-31'],
    ['2025Q3', '2025-10-14', '2025-10-31'], // 国庆+中秋 1–8 Oct; 11 Oct (Sat) make-up workday
    ['2025Q4', '2026-01-08', '2026-01-30'], // 元旦 1–3 Jan; 4 Jan (Sun) make-up workday
    ['2026Q1', '2026-04-08', '2026-04-30'], // 清明 4–6 Apr
    ['2026Q2', '2026-07-07', '2026-07-31'],
    ['2026Q3', '2026-10-13', '2026-10-30'], // 国庆 1–7 Oct; 10 Oct (Sat) make-up workday
  ])('cycle %s: extract by %s, payment by %s', (quarter, extract, payment) => {
    const d = cycleDeadlinesFor(quarter);
    expect(d.extractDue).toBe(`${extract}T23:59:59+08:00`);
    expect(d.paymentDue).toBe(`${payment}T23:59:59+08:00`);
    expect(d.reviewDue < d.reviewEscalation && d.reviewEscalation < d.paymentDue).toBe(true);
  });

  it('refuses years the holiday data does not cover instead of guessing Monday to Friday', () => {
    expect(() => cycleDeadlinesFor('2026Q4')).toThrow(CalendarNotCoveredError);
  });

  it('today is the date in China Standard Time', () => {
    expect(shanghaiToday(new Date('2025-09-30T16:30:00Z'))).toBe('2025-10-01');
  });
});
