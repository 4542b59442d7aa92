// Calendar dates as integer day numbers (days since 1970-01-01): the rules count nights, and integer
// days make that exact and fast — no time zones, no Date objects in the hot loops.

export type IsoDate = string;
const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number of a real calendar date, or undefined for anything else ('2025-02-30', '2025-7-1'). */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / MS_PER_DAY;
}

export function dayOf(text: IsoDate): number {
  const day = parseIsoDate(text);
  if (day === undefined) throw new Error(`not a date: ${text}`);
  return day;
}

export function isoOf(day: number): IsoDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function yearOf(day: number): number {
  return new Date(day * MS_PER_DAY).getUTCFullYear();
}

export function dayOfYmd(year: number, month: number, dayOfMonth: number): number {
  return Date.UTC(year, month - 1, dayOfMonth) / MS_PER_DAY;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The day someone born on `birth` reaches `age`: the birthday itself counts, and a 29 February
 * birthday is reached on 1 March in a common year.
 */
export function dayAgeReached(birth: IsoDate, age: number): number {
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  const year = y + age;
  if (m === 2 && d === 29 && !isLeapYear(year)) return dayOfYmd(year, 3, 1);
  return dayOfYmd(year, m, d);
}
