import holidayTable from 'chinese-days/dist/chinese-days.json';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALENDAR_YEARS,
  CalendarNotCoveredError,
  cycleDeadlinesFor,
  holidayArrangementSchema,
  isWorkingDate,
  quarterDeadlines,
  statutoryHolidays,
  WorkingCalendar,
} from '../../subsidy/rules/calendar';

// Hand-checked against the State Council's holiday notices (国办发明电): 2025 — 元旦 1/1; 春节 1/28–2/4
// (make-up 1/26, 2/8); 清明 4/4–4/6; 劳动节 5/1–5/5 (make-up 4/27); 端午 5/31–6/2; 国庆+中秋 10/1–10/8
// (make-up 9/28, 10/11). 2026 — 元旦 1/1–1/3 (make-up 1/4); 春节 2/15–2/23 (make-up 2/14, 2/28); 清明
// 4/4–4/6; 劳动节 5/1–5/5 (make-up 5/9); 端午 6/19–6/21; 中秋 9/25–9/27; 国庆 10/1–10/7 (make-up 9/20, 10/10).
describe('第十条 deadlines: extract by the 5th working day, payment by the last working day of the next quarter’s first month', () => {
  it.each([
    // paid quarter, extract deadline, payment deadline — with the working days counted
    ['2024Q4', '2025-01-08', '2025-01-27'], // Jan 2025: 2,3,6,7,8; 1/28–2/4 春节 and 1/26 (Sun) make-up: last working day Mon 1/27
    ['2025Q1', '2025-04-08', '2025-04-30'], // Apr 2025: 1,2,3 (4–6 清明),7,8; 4/30 Wed
    ['2025Q2', '2025-07-07', '2025-07-31'], // Jul 2025: 1,2,3,4,7; 7/31 Thu
    ['2025Q3', '2025-10-14', '2025-10-31'], // Oct 2025: 1–8 holiday; 9,10, 11 (Sat make-up), 13, 14; 10/31 Fri
    ['2025Q4', '2026-01-08', '2026-01-30'], // Jan 2026: 1–3 holiday; 4 (Sun make-up),5,6,7,8; 1/31 is Sat → Fri 1/30
    ['2026Q1', '2026-04-08', '2026-04-30'], // Apr 2026: 1,2,3 (4–6 清明),7,8; 4/30 Thu
    ['2026Q2', '2026-07-07', '2026-07-31'], // Jul 2026: 1,2,3,6,7; 7/31 Fri
    ['2026Q3', '2026-10-13', '2026-10-30'], // Oct 2026: 1–7 holiday; 8,9,10 (Sat make-up),12,13; 10/31 Sat → Fri 10/30
  ])('cycle for %s: extract by %s, payment by %s', (quarter, extract, payment) => {
    expect(quarterDeadlines(quarter)).toEqual({
      paidQuarter: quarter,
      extractDeadline: extract,
      paymentDeadline: payment,
      provisional: false,
    });
    const timetable = cycleDeadlinesFor(quarter);
    expect(timetable.extractDue).toBe(`${extract}T23:59:59+08:00`);
    expect(timetable.paymentDue).toBe(`${payment}T23:59:59+08:00`);
  });

  it('gives the operational timetable around them (2025Q3: October after 国庆)', () => {
    expect(cycleDeadlinesFor('2025Q3')).toEqual({
      extractDue: '2025-10-14T23:59:59+08:00',
      extractEscalation: '2025-10-16T23:59:59+08:00', // 7th working day: 15, 16
      reviewDue: '2025-10-24T23:59:59+08:00', // 5 working days before Fri 10/31: 30, 29, 28, 27, 24
      reviewEscalation: '2025-10-29T23:59:59+08:00', // 2 before: 30, 29
      paymentDue: '2025-10-31T23:59:59+08:00',
      provisional: false,
    });
  });

  it('computes a year the table does not cover on the provisional calendar, and says so (money never depends on it)', () => {
    expect(CALENDAR_YEARS).toEqual({ first: 2004, last: 2026 });
    // January 2027 provisional: 1/1 (Fri) 元旦; working days 4,5,6,7,8 → extract 1/8; 1/31 is a Sunday → Fri 1/29;
    // review 5 working days before: 28, 27, 26, 25, 22.
    expect(quarterDeadlines('2026Q4')).toEqual({
      paidQuarter: '2026Q4',
      extractDeadline: '2027-01-08',
      paymentDeadline: '2027-01-29',
      provisional: true,
    });
    expect(cycleDeadlinesFor('2026Q4')).toMatchObject({ reviewDue: '2027-01-22T23:59:59+08:00', provisional: true });
    expect(isWorkingDate('2027-02-05')).toBe(false); // 除夕 2027, a Friday
    expect(() => isWorkingDate('2003-12-31')).toThrow(CalendarNotCoveredError);
  });
});

describe('provisional calendar: 全国年节及纪念日放假办法 (2024 revision), lunar dates computed', () => {
  it('2027: 元旦 1, 春节 除夕–初三, 清明, 劳动节 1–2 May, 端午, 中秋, 国庆 1–3 October', () => {
    // 春节 2027-02-06 (除夕 02-05), 清明 04-05, 端午 06-09, 中秋 09-15: from the published almanac.
    expect(statutoryHolidays(2027)).toEqual([
      '2027-01-01',
      '2027-02-05',
      '2027-02-06',
      '2027-02-07',
      '2027-02-08',
      '2027-04-05',
      '2027-05-01',
      '2027-05-02',
      '2027-06-09',
      '2027-09-15',
      '2027-10-01',
      '2027-10-02',
      '2027-10-03',
    ]);
  });
  it.each([2025, 2026])('%i: every statutory holiday computed is a day off in the State Council’s notice', (year) => {
    const official = new Set(Object.keys(holidayTable.holidays));
    const computed = statutoryHolidays(year);
    expect(computed).toHaveLength(13);
    expect(computed.filter((d) => !official.has(d))).toEqual([]);
  });
  it('an imported official arrangement replaces the provisional year, with its make-up workdays', () => {
    const arrangement = holidayArrangementSchema.parse({
      year: 2027,
      notice: 'test notice',
      holidays: ['2027-01-01', '2027-01-04', '2027-01-05'],
      workdays: ['2027-01-09'],
    });
    const calendar = new WorkingCalendar([arrangement]);
    expect(calendar.sourceOf(2027)).toBe('official');
    expect(calendar.sourceOf(2028)).toBe('provisional');
    // Working days of January 2027 now: 6, 7, 8, 9 (Sat make-up), 11 → extract 1/11.
    expect(quarterDeadlines('2026Q4', calendar)).toEqual({
      paidQuarter: '2026Q4',
      extractDeadline: '2027-01-11',
      paymentDeadline: '2027-01-29',
      provisional: false,
    });
    expect(isWorkingDate('2027-02-05', calendar)).toBe(true); // the official file, not the computed 除夕, decides
  });
  it('refuses an arrangement with a date of another year or a day both off and worked', () => {
    expect(
      holidayArrangementSchema.safeParse({ year: 2027, notice: 'n', holidays: ['2026-12-31'], workdays: [] }).success,
    ).toBe(false);
    expect(
      holidayArrangementSchema.safeParse({
        year: 2027,
        notice: 'n',
        holidays: ['2027-01-01'],
        workdays: ['2027-01-01'],
      }).success,
    ).toBe(false);
  });
});

describe('working days (工作日 with 调休)', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });
  it.each([
    ['2025-09-28', true], // Sunday make-up workday
    ['2025-10-01', false],
    ['2025-10-08', false],
    ['2025-10-09', true],
    ['2025-10-11', true], // Saturday make-up workday
    ['2025-10-12', false],
    ['2026-01-04', true], // Sunday make-up workday
    ['2026-02-28', true], // Saturday make-up workday
    ['2026-06-19', false], // 端午
  ])('%s working day: %s', (date, expected) => {
    expect(isWorkingDate(date)).toBe(expected);
  });
  it('does not depend on the machine’s time zone (chinese-days’ own isWorkday does)', () => {
    const dates = ['2025-09-27', '2025-09-28', '2025-10-08', '2025-10-11', '2026-01-04'];
    const here = dates.map((d) => isWorkingDate(d));
    for (const zone of ['Pacific/Pago_Pago', 'Pacific/Kiritimati', 'America/New_York']) {
      process.env.TZ = zone;
      expect(dates.map((d) => isWorkingDate(d))).toEqual(here);
      expect(quarterDeadlines('2025Q3').extractDeadline).toBe('2025-10-14');
    }
  });
});
