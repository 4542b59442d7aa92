import type { ListingKind } from './types';

// Money of a purchase, in integer fen only.

function assertFen(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${what} is not a non-negative whole number of fen: ${value}`);
}

/** floor(a × b / c) in integers (BigInt past the safe range): a cap rounds down, never up. */
function mulDivFloor(a: number, b: number, c: number): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) return Math.floor(product / c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

export interface PriceCap {
  capFen: number;
  /** Which limit binds: the appraisal, or (new stock) the policy ceiling per m² × area. */
  basis: 'appraisal' | 'policy_ceiling';
  appraisalFen: number;
  /** New stock only: ceiling per m² × floor area, rounded down to the fen. */
  ceilingFen: number | null;
}

/**
 * The price cap. 工作任务(三): a second-hand home's appraisal is the upper limit of its price; for new
 * stock the policy ceiling per m² (建保〔2024〕44号 pricing, a dated figure) applies too — whichever is lower.
 */
export function priceCap(input: {
  kind: ListingKind;
  appraisalFen: number;
  floorAreaDm2: number;
  ceilingPerM2Fen: number;
}): PriceCap {
  assertFen(input.appraisalFen, 'appraisal');
  assertFen(input.ceilingPerM2Fen, 'ceiling per m²');
  if (!Number.isSafeInteger(input.floorAreaDm2) || input.floorAreaDm2 <= 0)
    throw new Error(`bad floor area ${input.floorAreaDm2} dm²`);
  if (input.kind === 'second_hand')
    return { capFen: input.appraisalFen, basis: 'appraisal', appraisalFen: input.appraisalFen, ceilingFen: null };
  const ceilingFen = mulDivFloor(input.ceilingPerM2Fen, input.floorAreaDm2, 100);
  return ceilingFen < input.appraisalFen
    ? { capFen: ceilingFen, basis: 'policy_ceiling', appraisalFen: input.appraisalFen, ceilingFen }
    : { capFen: input.appraisalFen, basis: 'appraisal', appraisalFen: input.appraisalFen, ceilingFen };
}

/** Why an offer may not stand, or null: never above the cap, never above what the seller asks. */
export function offerRefusal(priceFen: number, capFen: number, askingFen: number): string | null {
  if (!Number.isSafeInteger(priceFen) || priceFen <= 0)
    return `an offer is a positive whole number of fen, not ${priceFen}`;
  if (priceFen > capFen)
    return `offer ${priceFen} fen is above the price cap ${capFen} fen (工作任务(三): the appraisal is the upper limit)`;
  // Paying more than the seller asks would be a gift of public money (保障措施(三)).
  if (priceFen > askingFen) return `offer ${priceFen} fen is above the asking price ${askingFen} fen`;
  return null;
}

/** 契税 on the contract price, in basis points of it, rounded down to the fen (工作任务(四)). */
export function deedTaxFen(priceFen: number, basisPoints: number): number {
  assertFen(priceFen, 'price');
  return mulDivFloor(priceFen, basisPoints, 10_000);
}

export interface Funding {
  /** 保障性住房异地建设费 as capital (组织实施(一)). */
  capitalFen: number;
  /** Bank loan (组织实施(一), 组织实施(四)). */
  loanFen: number;
}

/** The plan's split of a price: the loan share in basis points (rounded down), capital the rest. */
export function splitFunding(amountFen: number, loanShareBasisPoints: number): Funding {
  assertFen(amountFen, 'amount');
  const loanFen = mulDivFloor(amountFen, loanShareBasisPoints, 10_000);
  return { capitalFen: amountFen - loanFen, loanFen };
}
