import chineseDays from 'chinese-days';
import holidayData from 'chinese-days/dist/chinese-days.json';
import { dayOf, dayOfYmd, isoOf } from './dates';
import { nextQuarter, parseQuarter } from './subsidy/quarter';

// Working days of mainland China (工作日): public holidays and make-up workdays (调休) from the
// `chinese-days` package. Outside the years its data covers it would silently guess Monday–Friday,
// so such a date is an error here.
const years = Object.keys(holidayData.holidays).map((d) => Number(d.slice(0, 4)));
export const CALENDAR_YEARS = { first: Math.min(...years), last: Math.max(...years) };

export class CalendarNotCoveredError extends Error {
  override name = 'CalendarNotCoveredError';
}

function covered(year: number): void {
  if (year < CALENDAR_YEARS.first || year > CALENDAR_YEARS.last) {
    throw new CalendarNotCoveredError(
      `the working-day calendar covers ${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}; ${year} needs the State Council's holiday notice (update chinese-days)`,
    );
  }
}

export function isWorkingDay(day: number): boolean {
  const iso = isoOf(day);
  covered(Number(iso.slice(0, 4)));
  return chineseDays.isWorkday(iso);
}

/** The n-th working day (1-based) of a month. */
export function nthWorkingDay(year: number, month: number, n: number): number {
  let found = 0;
  for (let day = dayOfYmd(year, month, 1); ; day++) {
    if (isWorkingDay(day) && ++found === n) return day;
  }
}

/** The last working day of a month. */
export function lastWorkingDay(year: number, month: number): number {
  for (let day = dayOfYmd(year, month + 1, 1) - 1; ; day--) if (isWorkingDay(day)) return day;
}

/** Counts `n` working days back from a day (exclusive). */
function workingDaysBefore(day: number, n: number): number {
  let d = day;
  for (let found = 0; found < n; ) if (isWorkingDay(--d)) found++;
  return d;
}

/** End of a day in China Standard Time, as an ISO instant. */
function endOfDayCst(day: number): string {
  return `${isoOf(day)}T23:59:59+08:00`;
}

export interface CycleDeadlines {
  extractDue: string;
  extractEscalation: string;
  reviewDue: string;
  reviewEscalation: string;
  paymentDue: string;
}

/**
 * 第十条's deadlines for the cycle paying `quarter`, all in the first month of the next quarter:
 * the extract within its first 5 working days (escalated after 2 more); payment by the month's end —
 * taken as its last working day, when banks settle; county review 5 working days before payment,
 * escalated to the city health commission 2 working days before it.
 */
export function cycleDeadlinesFor(quarter: string): CycleDeadlines {
  const next = parseQuarter(nextQuarter(quarter));
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

/** Today's date in China Standard Time (UTC+8, no daylight saving). */
export function shanghaiToday(now: Date = new Date()): string {
  return isoOf(Math.floor((now.getTime() + 8 * 3_600_000) / 86_400_000));
}

