// Calendar dates as integer day numbers (days since 1970-01-01, proleptic Gregorian). The rules count
// nights, and integer days make that exact and fast: no time zones, no Date objects, nothing that
// depends on the machine's clock or TZ, so the same input gives the same answer in workflow code.

/** 'YYYY-MM-DD'. */
export type IsoDate = string;

/** Day number of year/month/day (month 1–12); no range check (see parseIsoDate for that). */
export function dayOfYmd(year: number, month: number, day: number): number {
  // Howard Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** [year, month 1–12, day] of a day number. */
export function ymdOf(dayNumber: number): [number, number, number] {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Day number of a real calendar date written exactly 'YYYY-MM-DD', or undefined ('2025-02-30', '2025-7-1', ' 2025-07-01'). */
export function parseIsoDate(text: string): number | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const d = [
    digit(text, 0),
    digit(text, 1),
    digit(text, 2),
    digit(text, 3),
    digit(text, 5),
    digit(text, 6),
    digit(text, 8),
    digit(text, 9),
  ];
  if (d.some((x) => x < 0)) return undefined;
  const year = d[0]! * 1000 + d[1]! * 100 + d[2]! * 10 + d[3]!;
  const month = d[4]! * 10 + d[5]!;
  const day = d[6]! * 10 + d[7]!;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return dayOfYmd(year, month, day);
}

/** Day number of an ISO date; throws on anything that is not a real date (use for already-validated input). */
export function dayOf(text: IsoDate): number {
  const day = parseIsoDate(text);
  if (day === undefined) throw new Error(`not a date: ${JSON.stringify(text)} (expected a real YYYY-MM-DD date)`);
  return day;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function formatDay(dayNumber: number): IsoDate {
  const [y, m, d] = ymdOf(dayNumber);
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`;
}

// Strings for 1900-01-01 … 2100-12-31 are built once each and shared: the rules produce a date string
// for every paid night, and sharing them keeps a million-row cycle from allocating millions of copies.
const CACHE_FIRST = dayOfYmd(1900, 1, 1);
const CACHE_LAST = dayOfYmd(2100, 12, 31);
const isoCache: (IsoDate | undefined)[] = new Array(CACHE_LAST - CACHE_FIRST + 1);

export function isoOf(dayNumber: number): IsoDate {
  if (dayNumber < CACHE_FIRST || dayNumber > CACHE_LAST) return formatDay(dayNumber);
  const i = dayNumber - CACHE_FIRST;
  return (isoCache[i] ??= formatDay(dayNumber));
}

export function yearOf(dayNumber: number): number {
  return ymdOf(dayNumber)[0];
}

/** Day of the week: 0 Sunday … 6 Saturday (1970-01-01 was a Thursday). */
export function weekdayOf(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}

/**
 * The day someone born on `birth` reaches `age`: the birthday itself counts, and a 29 February
 * birthday is reached on 1 March in a common year (DOMAIN.md §1, 第四条 age rule).
 */
export function dayAgeReached(birth: IsoDate | number, age: number): number {
  const [y, m, d] = ymdOf(typeof birth === 'number' ? birth : dayOf(birth));
  const year = y + age;
  if (m === 2 && d === 29 && !isLeapYear(year)) return dayOfYmd(year, 3, 1);
  return dayOfYmd(year, m, d);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return isoOf(dayOf(date) + days);
}
