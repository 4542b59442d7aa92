// Working days of mainland China (工作日): weekends, public holidays and make-up workdays (调休), for the
// deadlines of 第十条. The data is the `chinese-days` package's bundled table (one JSON of dated
// holidays and make-up workdays). Its own isWorkday() is not used: it parses a date as UTC midnight
// and then reads it with local-time getters, so its answer depends on the machine's time zone. Here a
// date is an integer day number and the weekday is arithmetic: same input, same answer, anywhere,
// which is what Temporal's replay needs too. Outside the years the table covers it would silently
// guess Monday–Friday, so such a date is an error.
import holidayTable from 'chinese-days/dist/chinese-days.json';
import { dayOfYmd, daysInMonth, isoOf, weekdayOf, yearOf, type IsoDate } from './dates';
import { nextQuarter, parseQuarter, type QuarterText } from './subsidy/quarter';

const HOLIDAYS = new Set(Object.keys(holidayTable.holidays));
const MAKE_UP_WORKDAYS = new Set(Object.keys(holidayTable.workdays));
const coveredYears = [...HOLIDAYS].map((d) => Number(d.slice(0, 4)));

/** The years whose State Council holiday notice the table holds (2004–2026 in chinese-days 1.5.7). */
export const CALENDAR_YEARS = { first: Math.min(...coveredYears), last: Math.max(...coveredYears) };

export class CalendarNotCoveredError extends Error {
  override name = 'CalendarNotCoveredError';
}

function assertCovered(year: number): void {
  if (year < CALENDAR_YEARS.first || year > CALENDAR_YEARS.last) {
    throw new CalendarNotCoveredError(
      `the working-day calendar covers ${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}; ${year} needs the State Council's holiday notice (update chinese-days)`,
    );
  }
}

/** Whether a day (day number) is a working day: a make-up workday, or Monday–Friday and not a public holiday. */
export function isWorkingDay(dayNumber: number): boolean {
  assertCovered(yearOf(dayNumber));
  const iso = isoOf(dayNumber);
  if (MAKE_UP_WORKDAYS.has(iso)) return true;
  const weekday = weekdayOf(dayNumber);
  return weekday >= 1 && weekday <= 5 && !HOLIDAYS.has(iso);
}

export function isWorkingDate(date: IsoDate): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return isWorkingDay(dayOfYmd(y, m, d));
}

/** The n-th working day (1-based) of a month, as a day number. */
export function nthWorkingDay(year: number, month: number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad working-day ordinal ${n}`);
  const last = dayOfYmd(year, month, daysInMonth(year, month));
  let found = 0;
  for (let day = dayOfYmd(year, month, 1); day <= last; day++) {
    if (isWorkingDay(day) && ++found === n) return day;
  }
  throw new Error(`${year}-${month} has fewer than ${n} working days`);
}

/** The last working day of a month, as a day number. */
export function lastWorkingDay(year: number, month: number): number {
  const first = dayOfYmd(year, month, 1);
  for (let day = dayOfYmd(year, month, daysInMonth(year, month)); day >= first; day--) if (isWorkingDay(day)) return day;
  throw new Error(`${year}-${month} has no working day`);
}

/** The working day `n` working days before `dayNumber` (exclusive). */
export function workingDaysBefore(dayNumber: number, n: number): number {
  let d = dayNumber;
  for (let found = 0; found < n; ) if (isWorkingDay(--d)) found++;
  return d;
}

export interface QuarterDeadlines {
  /** The quarter whose discharges the cycle pays. */
  paidQuarter: QuarterText;
  /** 第十条(一): the medical-insurance extract within the first 5 working days of the next quarter's first month. */
  extractDeadline: IsoDate;
  /**
   * 第十条(三): payment by the end of that month (月底前). Taken as the month's last working day, when
   * banks settle — the safe operational date; a payment on a later weekend day would not arrive.
   */
  paymentDeadline: IsoDate;
}

/** 第十条's two dates for the cycle that pays `paidQuarter` (e.g. '2025Q3' → October 2025). */
export function quarterDeadlines(paidQuarter: QuarterText): QuarterDeadlines {
  const next = parseQuarter(nextQuarter(paidQuarter));
  const month = (next.q - 1) * 3 + 1;
  return {
    paidQuarter,
    extractDeadline: isoOf(nthWorkingDay(next.year, month, 5)),
    paymentDeadline: isoOf(lastWorkingDay(next.year, month)),
  };
}

/** End of a day in China Standard Time, as an ISO instant. */
function endOfDayCst(dayNumber: number): string {
  return `${isoOf(dayNumber)}T23:59:59+08:00`;
}

export interface CycleDeadlines {
  extractDue: string;
  extractEscalation: string;
  reviewDue: string;
  reviewEscalation: string;
  paymentDue: string;
}

/**
 * The cycle's operational timetable as instants (end of day, China Standard Time): 第十条's extract and
 * payment deadlines (see quarterDeadlines), the extract escalated after 2 more working days, county
 * review due 5 working days before payment and escalated to the city 2 working days before it.
 */
export function cycleDeadlinesFor(paidQuarter: QuarterText): CycleDeadlines {
  const next = parseQuarter(nextQuarter(paidQuarter));
  const month = (next.q - 1) * 3 + 1;
  const payment = lastWorkingDay(next.year, month);
  return {
    extractDue: endOfDayCst(nthWorkingDay(next.year, month, 5)),
    extractEscalation: endOfDayCst(nthWorkingDay(next.year, month, 7)),
    reviewDue: endOfDayCst(workingDaysBefore(payment, 5)),
    reviewEscalation: endOfDayCst(workingDaysBefore(payment, 2)),
    paymentDue: endOfDayCst(payment),
  };
}

/**
 * The calendar date in China Standard Time (UTC+8, no daylight saving) of an instant. Pass the instant
 * in: activities pass the current instant, workflow code its workflow time. (The default reads the clock and
 * is kept only for existing activity callers; rules code never calls it without an argument.)
 */
export function shanghaiToday(now: Date = new Date()): IsoDate {
  return isoOf(Math.floor((now.getTime() + 8 * 3_600_000) / 86_400_000));
}
