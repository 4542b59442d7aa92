// Money is integer fen everywhere; yuan with two decimals only at the edges (files, screens).

const BASIS = 10_000;

function assertFen(fen: number, what = 'amount'): void {
  if (!Number.isSafeInteger(fen)) throw new Error(`${what} is not a whole number of fen: ${fen}`);
}

/** "1234.50" from 123450 fen; "-0.05" from -5. */
export function formatYuan(fen: number): string {
  assertFen(fen);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const cents = abs % 100;
  return `${sign}${(abs - cents) / 100}.${cents < 10 ? '0' : ''}${cents}`;
}

/** Fen from a yuan text with at most two decimals ("123", "123.4", "123.45"); throws on anything else. */
export function parseYuan(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new Error(`not an amount in yuan: ${JSON.stringify(text)}`);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  assertFen(fen);
  return m[1] ? -fen : fen;
}

/**
 * round-half-up(amount × numerator / denominator) for a non-negative whole amount, in integers only
 * (BigInt when the product would leave the safe-integer range), so no float ever touches money.
 */
export function mulDivRoundHalfUp(amountFen: number, numerator: number, denominator: number): number {
  assertFen(amountFen);
  if (amountFen < 0) throw new Error(`a split needs a non-negative amount, got ${amountFen}`);
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator <= 0) {
    throw new Error(`bad ratio ${numerator}/${denominator}`);
  }
  const product = amountFen * numerator;
  if (Number.isSafeInteger(product * 2 + denominator))
    return Math.floor((product * 2 + denominator) / (2 * denominator));
  const big = (BigInt(amountFen) * BigInt(numerator) * 2n + BigInt(denominator)) / (2n * BigInt(denominator));
  return Number(big);
}

export interface FundingSplit {
  cityShareFen: number;
  countyShareFen: number;
}

/**
 * The funding split of one payment (第八条): city share = round-half-up(amount × city share) in fen,
 * county share = the rest, so the two always add up exactly. The city share is in basis points
 * (4000 = 40 %), an integer, so the ratio itself is exact.
 */
export function fundingSplit(amountFen: number, cityShareBasisPoints: number): FundingSplit {
  if (!Number.isInteger(cityShareBasisPoints) || cityShareBasisPoints < 0 || cityShareBasisPoints > BASIS) {
    throw new Error(`bad city share ${cityShareBasisPoints} basis points`);
  }
  const cityShareFen = mulDivRoundHalfUp(amountFen, cityShareBasisPoints, BASIS);
  return { cityShareFen, countyShareFen: amountFen - cityShareFen };
}

/** Sum of whole fen amounts, checked to stay exact. */
export function sumFen(amounts: Iterable<number>): number {
  let total = 0;
  for (const a of amounts) {
    assertFen(a);
    total += a;
  }
  assertFen(total, 'total');
  return total;
}
