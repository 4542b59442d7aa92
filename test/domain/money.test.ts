import { describe, expect, it } from 'vitest';
import { formatYuan, fundingSplit, mulDivRoundHalfUp, parseYuan, sumFen } from '../../platform/common/money';

describe('money in fen (DOMAIN.md: integer fen, yuan only at the edges)', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [100, '1.00'],
    [123456, '1234.56'],
    [-5, '-0.05'],
    [900719925474099, '9007199254740.99'],
  ])('formats %i fen as %s yuan', (fen, text) => {
    expect(formatYuan(fen)).toBe(text);
    expect(parseYuan(text)).toBe(fen);
  });
  it('refuses fractions of a fen and loose yuan text', () => {
    expect(() => formatYuan(1.5)).toThrow();
    expect(() => parseYuan('1.234')).toThrow();
    expect(() => parseYuan('1,00')).toThrow();
    expect(parseYuan('7.5')).toBe(750);
  });
  it('sums exactly', () => expect(sumFen([1, 2, 3])).toBe(6));
});

describe('第八条 funding split: city 40 % round-half-up, county the rest', () => {
  it.each([
    // amount, city, county — hand-computed
    [45000, 18000, 27000],
    [12345, 4938, 7407], // 4938.0
    [1, 0, 1], // 0.4 → 0
    [2, 1, 1], // 0.8 → 1
    [3, 1, 2], // 1.2 → 1
    [4, 2, 2], // 1.6 → 2
    [0, 0, 0],
  ])('%i fen → city %i + county %i', (amount, city, county) => {
    expect(fundingSplit(amount, 4000)).toEqual({ cityShareFen: city, countyShareFen: county });
  });
  it('rounds a half up (a ratio where halves occur)', () => {
    expect(mulDivRoundHalfUp(5, 1, 2)).toBe(3); // 2.5 → 3
    expect(fundingSplit(25, 1000)).toEqual({ cityShareFen: 3, countyShareFen: 22 }); // 2.5 → 3
    expect(fundingSplit(15, 1000).cityShareFen).toBe(2); // 1.5 → 2
    expect(fundingSplit(14, 1000).cityShareFen).toBe(1); // 1.4 → 1
  });
  it('stays exact beyond the float-safe product range', () => {
    const amount = 9_000_000_000_000; // 90 billion yuan: amount × 4000 > 2^53
    const { cityShareFen, countyShareFen } = fundingSplit(amount, 4000);
    expect(cityShareFen).toBe(3_600_000_000_000);
    expect(cityShareFen + countyShareFen).toBe(amount);
  });
  it('refuses negative amounts and bad ratios', () => {
    expect(() => fundingSplit(-1, 4000)).toThrow();
    expect(() => fundingSplit(1, 10_001)).toThrow();
    expect(() => fundingSplit(1, 40.5)).toThrow();
  });
});
