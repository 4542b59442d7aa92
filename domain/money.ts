// Money is integer fen everywhere; yuan with two decimals only at the edges (files, screens).

/** "1234.50" from 123450 fen. */
export function formatYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new Error(`not a whole number of fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * The funding split of one payment (第八条): city share = round-half-up(amount × city %) in fen,
 * county share = the rest, so the two always add up exactly.
 */
export function fundingSplit(amountFen: number, citySharePercent: number): { cityShareFen: number; countyShareFen: number } {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0) throw new Error(`bad amount ${amountFen}`);
  if (!Number.isInteger(citySharePercent) || citySharePercent < 0 || citySharePercent > 100) throw new Error(`bad percentage ${citySharePercent}`);
  const cityShareFen = Math.floor((amountFen * citySharePercent + 50) / 100);
  return { cityShareFen, countyShareFen: amountFen - cityShareFen };
}
