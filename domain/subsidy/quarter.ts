import { dayOfYmd, isoOf, yearOf } from '../dates';

export interface Quarter {
  year: number;
  q: 1 | 2 | 3 | 4;
  /** Day numbers of its first and last day. */
  start: number;
  end: number;
}

export function parseQuarter(text: string): Quarter {
  const m = /^(\d{4})Q([1-4])$/.exec(text);
  if (!m) throw new Error(`not a quarter: ${text} (expected YYYYQn, e.g. 2025Q3)`);
  const year = Number(m[1]);
  const q = Number(m[2]) as Quarter['q'];
  const start = dayOfYmd(year, (q - 1) * 3 + 1, 1);
  const end = dayOfYmd(q === 4 ? year + 1 : year, q === 4 ? 1 : q * 3 + 1, 1) - 1;
  return { year, q, start, end };
}

export function quarterOfDay(day: number): string {
  const month = Number(isoOf(day).slice(5, 7));
  return `${yearOf(day)}Q${Math.floor((month - 1) / 3) + 1}`;
}

/** The quarter after; its first month is when a quarter's cycle runs (第十条). */
export function nextQuarter(text: string): string {
  const { year, q } = parseQuarter(text);
  return q === 4 ? `${year + 1}Q1` : `${year}Q${q + 1}`;
}
