import { dayOf, dayOfYmd, type IsoDate, isoOf, ymdOf } from '../../platform/common/dates';

/** A calendar quarter, '2025Q3'. A cycle pays the discharges of one quarter (第十条). */
export type QuarterText = string;

export interface Quarter {
  text: QuarterText;
  year: number;
  /** 1 to 4. */
  number: 1 | 2 | 3 | 4;
  /** Day numbers of its first and last day. */
  start: number;
  end: number;
}

export function parseQuarter(text: string): Quarter {
  const match = /^(\d{4})Q([1-4])$/.exec(text);
  if (!match) throw new Error(`not a quarter: ${JSON.stringify(text)} (expected YYYYQn, e.g. 2025Q3)`);
  const year = Number(match[1]);
  const number = Number(match[2]) as Quarter['number'];
  const start = dayOfYmd(year, (number - 1) * 3 + 1, 1);
  const end = (number === 4 ? dayOfYmd(year + 1, 1, 1) : dayOfYmd(year, number * 3 + 1, 1)) - 1;
  return { text, year, number, start, end };
}

/** The quarter a day falls in, as text ('2025Q3'); to read a quarter's text, parseQuarter. */
export function quarterContainingDay(dayNumber: number): QuarterText {
  const [year, month] = ymdOf(dayNumber);
  return `${year}Q${Math.floor((month - 1) / 3) + 1}`;
}

export function quarterContaining(date: IsoDate): QuarterText {
  return quarterContainingDay(dayOf(date));
}

export function firstDayOfQuarter(text: QuarterText): IsoDate {
  return isoOf(parseQuarter(text).start);
}

export function lastDayOfQuarter(text: QuarterText): IsoDate {
  return isoOf(parseQuarter(text).end);
}

export function previousQuarter(text: QuarterText): QuarterText {
  const { year, number } = parseQuarter(text);
  return number === 1 ? `${year - 1}Q4` : `${year}Q${number - 1}`;
}

/** The quarter after; its first month is when a quarter's cycle runs (第十条). */
export function nextQuarter(text: QuarterText): QuarterText {
  const { year, number } = parseQuarter(text);
  return number === 4 ? `${year + 1}Q1` : `${year}Q${number + 1}`;
}
