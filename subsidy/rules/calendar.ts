// Working days of mainland China (工作日): weekends, public holidays and make-up workdays (调休), for the
// deadlines of 第十条. Three sources, by year:
// - `bundled`: the `chinese-days` package's table (State Council notices 2004–2026 in 1.5.7);
// - `official`: a year's arrangement an operator imported as data (data/holidays/YYYY.json);
// - `provisional`: a year nobody has published yet — Monday–Friday less the statutory holidays of
//   全国年节及纪念日放假办法 (2024 revision), lunar dates and 清明 computed by `lunar-typescript`,
//   no make-up workdays. Every deadline says whether it rests on a provisional year.
// chinese-days' own isWorkday() is not used: it reads dates with local-time getters, so its answer
// depends on the machine's time zone. Here a date is an integer day number and the weekday is
// arithmetic: same input, same answer, anywhere, which is what Temporal's replay needs too.
// Money never depends on this file; only deadlines and reminders do.
import holidayTable from 'chinese-days/dist/chinese-days.json';
import { Lunar, Solar } from 'lunar-typescript';
import { z } from 'zod';
import {
  dayOf,
  dayOfYmd,
  daysInMonth,
  type IsoDate,
  isoOf,
  parseIsoDate,
  weekdayOf,
  yearOf,
} from '../../platform/common/dates';
import { nextQuarter, parseQuarter, type QuarterText } from './quarter';

const BUNDLED_HOLIDAYS = new Set(Object.keys(holidayTable.holidays));
const BUNDLED_WORKDAYS = new Set(Object.keys(holidayTable.workdays));
const bundledYears = [...BUNDLED_HOLIDAYS].map((date) => Number(date.slice(0, 4)));

/** The years whose State Council holiday notice the bundled table holds (2004–2026 in chinese-days 1.5.7). */
export const CALENDAR_YEARS = { first: Math.min(...bundledYears), last: Math.max(...bundledYears) };

export class CalendarNotCoveredError extends Error {
  override name = 'CalendarNotCoveredError';
}

const isoDate = z.string().refine((text) => parseIsoDate(text) !== undefined, 'a real YYYY-MM-DD date');

/**
 * A year's official holiday arrangement (the State Council's 国务院办公厅关于YYYY年部分节假日安排的通知),
 * as an operator types it from the notice: every day off and every make-up workday (调休) of the year.
 */
export const holidayArrangementSchema = z
  .object({
    year: z.number().int().min(2000).max(2200),
    notice: z.string().min(1).describe('the notice it comes from, e.g. 国办发明电〔2026〕7号'),
    published: isoDate.optional(),
    holidays: z.array(isoDate).min(1),
    workdays: z.array(isoDate),
  })
  .superRefine((arrangement, ctx) => {
    for (const [key, list] of [
      ['holidays', arrangement.holidays],
      ['workdays', arrangement.workdays],
    ] as const) {
      for (const date of list)
        if (Number(date.slice(0, 4)) !== arrangement.year)
          ctx.addIssue({ code: 'custom', path: [key], message: `${date} is not in ${arrangement.year}` });
    }
    for (const date of arrangement.workdays) {
      if (arrangement.holidays.includes(date))
        ctx.addIssue({ code: 'custom', path: ['workdays'], message: `${date} is both a holiday and a workday` });
    }
  });
export type HolidayArrangement = z.infer<typeof holidayArrangementSchema>;

export type CalendarSource = 'bundled' | 'official' | 'provisional';

/** 全国年节及纪念日放假办法 (2024 revision), the days off by law in `year`, computed. No make-up workdays. */
export function statutoryHolidays(year: number): IsoDate[] {
  const springFestival = Lunar.fromYmd(year, 1, 1).getSolar(); // 正月初一
  const qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()['清明']!;
  const ymd = (s: Solar) => dayOfYmd(s.getYear(), s.getMonth(), s.getDay());
  const first = ymd(springFestival);
  const days = [
    dayOfYmd(year, 1, 1), // 元旦 1
    first - 1,
    first,
    first + 1,
    first + 2, // 春节 4: 除夕 to 正月初三
    ymd(qingming), // 清明 1
    dayOfYmd(year, 5, 1),
    dayOfYmd(year, 5, 2), // 劳动节 2
    ymd(Lunar.fromYmd(year, 5, 5).getSolar()), // 端午 1
    ymd(Lunar.fromYmd(year, 8, 15).getSolar()), // 中秋 1
    dayOfYmd(year, 10, 1),
    dayOfYmd(year, 10, 2),
    dayOfYmd(year, 10, 3), // 国庆 3
  ];
  return [...new Set(days)].sort((a, b) => a - b).map(isoOf);
}

interface YearDays {
  source: CalendarSource;
  holidays: ReadonlySet<IsoDate>;
  workdays: ReadonlySet<IsoDate>;
}

/**
 * The working-day calendar: the bundled table, the official arrangements given (they win over a
 * provisional year, never over the bundled table's published years), provisional for the rest.
 */
export class WorkingCalendar {
  private readonly official = new Map<number, HolidayArrangement>();
  private readonly years = new Map<number, YearDays>();

  constructor(arrangements: readonly HolidayArrangement[] = []) {
    for (const arrangement of arrangements) this.official.set(arrangement.year, arrangement);
  }

  /** Where `year`'s days off come from. */
  sourceOf(year: number): CalendarSource {
    if (year >= CALENDAR_YEARS.first && year <= CALENDAR_YEARS.last) return 'bundled';
    return this.official.has(year) ? 'official' : 'provisional';
  }

  private daysOf(year: number): YearDays {
    let days = this.years.get(year);
    if (days) return days;
    if (year < CALENDAR_YEARS.first) {
      throw new CalendarNotCoveredError(
        `the working-day calendar starts with ${CALENDAR_YEARS.first}; ${year} is before it`,
      );
    }
    const source = this.sourceOf(year);
    if (source === 'bundled') days = { source, holidays: BUNDLED_HOLIDAYS, workdays: BUNDLED_WORKDAYS };
    else if (source === 'official') {
      const arrangement = this.official.get(year)!;
      days = { source, holidays: new Set(arrangement.holidays), workdays: new Set(arrangement.workdays) };
    } else days = { source, holidays: new Set(statutoryHolidays(year)), workdays: new Set() };
    this.years.set(year, days);
    return days;
  }

  /** Whether a day (day number) is a working day: a make-up workday, or Monday–Friday and not a day off. */
  isWorkingDay(dayNumber: number): boolean {
    const days = this.daysOf(yearOf(dayNumber));
    const iso = isoOf(dayNumber);
    if (days.workdays.has(iso)) return true;
    const weekday = weekdayOf(dayNumber);
    return weekday >= 1 && weekday <= 5 && !days.holidays.has(iso);
  }
}

/** The calendar with no imported arrangement: bundled years, provisional after them. */
export const BUNDLED_CALENDAR = new WorkingCalendar();

/** Whether a day (day number) is a working day. */
export function isWorkingDay(dayNumber: number, calendar: WorkingCalendar = BUNDLED_CALENDAR): boolean {
  return calendar.isWorkingDay(dayNumber);
}

export function isWorkingDate(date: IsoDate, calendar: WorkingCalendar = BUNDLED_CALENDAR): boolean {
  return calendar.isWorkingDay(dayOf(date));
}

/** The n-th working day (1-based) of a month, as a day number. */
export function nthWorkingDay(
  year: number,
  month: number,
  n: number,
  calendar: WorkingCalendar = BUNDLED_CALENDAR,
): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad working-day ordinal ${n}`);
  const last = dayOfYmd(year, month, daysInMonth(year, month));
  let found = 0;
  for (let day = dayOfYmd(year, month, 1); day <= last; day++) {
    if (calendar.isWorkingDay(day) && ++found === n) return day;
  }
  throw new Error(`${year}-${month} has fewer than ${n} working days`);
}

/** The last working day of a month, as a day number. */
export function lastWorkingDay(year: number, month: number, calendar: WorkingCalendar = BUNDLED_CALENDAR): number {
  const first = dayOfYmd(year, month, 1);
  for (let day = dayOfYmd(year, month, daysInMonth(year, month)); day >= first; day--)
    if (calendar.isWorkingDay(day)) return day;
  throw new Error(`${year}-${month} has no working day`);
}

/** The working day `n` working days before `dayNumber` (exclusive). */
export function workingDaysBefore(dayNumber: number, n: number, calendar: WorkingCalendar = BUNDLED_CALENDAR): number {
  let day = dayNumber;
  for (let found = 0; found < n; ) if (calendar.isWorkingDay(--day)) found++;
  return day;
}

/** Whether any of these days falls in a year whose calendar is provisional. */
function anyProvisional(calendar: WorkingCalendar, days: number[]): boolean {
  return days.some((day) => calendar.sourceOf(yearOf(day)) === 'provisional');
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
  /** True when a date rests on a year whose official arrangement is not loaded yet. */
  provisional: boolean;
}

/** 第十条's two dates for the cycle that pays `paidQuarter` (e.g. '2025Q3' → October 2025). */
export function quarterDeadlines(
  paidQuarter: QuarterText,
  calendar: WorkingCalendar = BUNDLED_CALENDAR,
): QuarterDeadlines {
  const next = parseQuarter(nextQuarter(paidQuarter));
  const month = (next.number - 1) * 3 + 1;
  const extract = nthWorkingDay(next.year, month, 5, calendar);
  const payment = lastWorkingDay(next.year, month, calendar);
  return {
    paidQuarter,
    extractDeadline: isoOf(extract),
    paymentDeadline: isoOf(payment),
    provisional: anyProvisional(calendar, [extract, payment]),
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
  /** True when a date rests on a provisional year: shown as such, and re-read when the arrangement arrives. */
  provisional: boolean;
}

/**
 * The cycle's operational timetable as instants (end of day, China Standard Time): 第十条's extract and
 * payment deadlines (see quarterDeadlines), the extract escalated after 2 more working days, county
 * review due 5 working days before payment and escalated to the city 2 working days before it.
 */
export function cycleDeadlinesFor(
  paidQuarter: QuarterText,
  calendar: WorkingCalendar = BUNDLED_CALENDAR,
): CycleDeadlines {
  const next = parseQuarter(nextQuarter(paidQuarter));
  const month = (next.number - 1) * 3 + 1;
  const payment = lastWorkingDay(next.year, month, calendar);
  const days = {
    extractDue: nthWorkingDay(next.year, month, 5, calendar),
    extractEscalation: nthWorkingDay(next.year, month, 7, calendar),
    reviewDue: workingDaysBefore(payment, 5, calendar),
    reviewEscalation: workingDaysBefore(payment, 2, calendar),
    paymentDue: payment,
  };
  return {
    extractDue: endOfDayCst(days.extractDue),
    extractEscalation: endOfDayCst(days.extractEscalation),
    reviewDue: endOfDayCst(days.reviewDue),
    reviewEscalation: endOfDayCst(days.reviewEscalation),
    paymentDue: endOfDayCst(days.paymentDue),
    provisional: anyProvisional(calendar, Object.values(days)),
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
