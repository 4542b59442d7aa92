import { dayOf, dayOfYmd, type IsoDate, isoOf, ymdOf } from '../../platform/common/dates';

/** A calendar quarter, '2025Q3'. A cycle pays the discharges of one quarter (第十条). */
export type QuarterText = string;

export interface Quarter {
  text: QuarterText;
  year: number;
  q: 1 | 2 | 3 | 4;
  /** Day numbers of its first and last day. */
  start: number;
  end: number;
}

export function parseQuarter(text: string): Quarter {
  const m = /^(\d{4})Q([1-4])$/.exec(text);
  if (!m) throw new Error(`not a quarter: ${JSON.stringify(text)} (expected YYYYQn, e.g. 2025Q3)`);
  const year = Number(m[1]);
  const q = Number(m[2]) as Quarter['q'];
  const start = dayOfYmd(year, (q - 1) * 3 + 1, 1);
  const end = (q === 4 ? dayOfYmd(year + 1, 1, 1) : dayOfYmd(year, q * 3 + 1, 1)) - 1;
  return { text, year, q, start, end };
}

export function quarterOfDay(dayNumber: number): QuarterText {
  const [year, month] = ymdOf(dayNumber);
  return `${year}Q${Math.floor((month - 1) / 3) + 1}`;
}

export function quarterOf(date: IsoDate): QuarterText {
  return quarterOfDay(dayOf(date));
}

export function firstDayOfQuarter(text: QuarterText): IsoDate {
  return isoOf(parseQuarter(text).start);
}

export function lastDayOfQuarter(text: QuarterText): IsoDate {
  return isoOf(parseQuarter(text).end);
}

export function previousQuarter(text: QuarterText): QuarterText {
  const { year, q } = parseQuarter(text);
  return q === 1 ? `${year - 1}Q4` : `${year}Q${q - 1}`;
}

/** The quarter after; its first month is when a quarter's cycle runs (第十条). */
export function nextQuarter(text: QuarterText): QuarterText {
  const { year, q } = parseQuarter(text);
  return q === 4 ? `${year + 1}Q1` : `${year}Q${q + 1}`;
}
