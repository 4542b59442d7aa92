import { type Funding, splitFunding } from './price';

// The purchase plan (组织实施(一)(二)(三)): who goes first, and whether the money is there. Pure
// functions over small numbers, so the coordinator workflow can call them deterministically.

export interface BuildingIntent {
  ownersTotal: number;
  ownersWilling: number;
}

export interface PriorityAssessment {
  /** 组织实施(二): more than the threshold (80 %) of a building's owners want to sell. */
  firstInLine: boolean;
  unmetDemand: number;
  reason: string;
}

/**
 * 组织实施(二): more than the threshold of owners willing to sell, in the listing's building (楼栋) or
 * in its whole residential complex (小区), puts the listing first in line.
 */
export function assessPriority(
  intent: BuildingIntent | undefined,
  unmetDemand: number,
  thresholdPercent: number,
  complexIntent?: BuildingIntent,
): PriorityAssessment {
  // Integer comparison: willing / total > threshold / 100.
  const above = (i: BuildingIntent | undefined) =>
    i !== undefined && i.ownersTotal > 0 && i.ownersWilling * 100 > thresholdPercent * i.ownersTotal;
  const building = above(intent);
  const complex = above(complexIntent);
  const firstInLine = building || complex;
  const shareText = (what: string, i: BuildingIntent | undefined, over: boolean) =>
    i && i.ownersTotal > 0
      ? `${what}: ${i.ownersWilling}/${i.ownersTotal} owners willing to sell${over ? ` (> ${thresholdPercent} %: goes first)` : ''}`
      : `no owner survey of the ${what}`;
  const parts = [shareText('building', intent, building)];
  if (complexIntent) parts.push(shareText('complex', complexIntent, complex));
  return {
    firstInLine,
    unmetDemand,
    reason: `组织实施(二): ${parts.join('; ')}; ${unmetDemand} unit(s) of unmet demand in the area`,
  };
}

export interface AdmissionRequest {
  listingId: string;
  workflowId: string;
  /** What the purchase may cost at most (the asking price: no offer may exceed it). */
  amountFen: number;
  loanShareBasisPoints: number;
  firstInLine: boolean;
  unmetDemand: number;
  /** Arrival order at the plan, the last tie-breaker. */
  seq: number;
}

/** Buildings above the owner threshold first, then areas with more unmet demand (保障需求大的区域), then arrival. */
export function comparePriority(a: AdmissionRequest, b: AdmissionRequest): number {
  if (a.firstInLine !== b.firstInLine) return a.firstInLine ? -1 : 1;
  if (a.unmetDemand !== b.unmetDemand) return b.unmetDemand - a.unmetDemand;
  return a.seq - b.seq;
}

export interface Pool {
  totalFen: number;
  reservedFen: number;
  spentFen: number;
}

/** Capital (保障性住房异地建设费) and the banks' loan capacity (组织实施(一)). */
export interface PlanFunds {
  capital: Pool;
  loan: Pool;
}

export const freeFen = (pool: Pool) => pool.totalFen - pool.reservedFen - pool.spentFen;

/** The plan's split if both pools can take it; else all capital if the capital can; else null (wait). */
export function reservationFor(
  request: Pick<AdmissionRequest, 'amountFen' | 'loanShareBasisPoints'>,
  funds: PlanFunds,
): Funding | null {
  const split = splitFunding(request.amountFen, request.loanShareBasisPoints);
  if (split.capitalFen <= freeFen(funds.capital) && split.loanFen <= freeFen(funds.loan)) return split;
  if (request.amountFen <= freeFen(funds.capital)) return { capitalFen: request.amountFen, loanFen: 0 };
  return null;
}

const add = (pool: Pool, field: 'reservedFen' | 'spentFen' | 'totalFen', fen: number): Pool => ({
  ...pool,
  [field]: pool[field] + fen,
});

export function reserve(funds: PlanFunds, f: Funding): PlanFunds {
  return { capital: add(funds.capital, 'reservedFen', f.capitalFen), loan: add(funds.loan, 'reservedFen', f.loanFen) };
}

export function release(funds: PlanFunds, f: Funding): PlanFunds {
  return reserve(funds, { capitalFen: -f.capitalFen, loanFen: -f.loanFen });
}

/** A purchase completed: its reservation is released and what it actually cost is spent. */
export function spend(funds: PlanFunds, reserved: Funding, actual: Funding): PlanFunds {
  const released = release(funds, reserved);
  return {
    capital: add(released.capital, 'spentFen', actual.capitalFen),
    loan: add(released.loan, 'spentFen', actual.loanFen),
  };
}

/**
 * Strict priority: admits from the head of the line while the money is there and stops at the first
 * that does not fit, so a purchase that goes first is never overtaken by a cheaper one behind it.
 */
export function admitInTurn(
  queue: readonly AdmissionRequest[],
  funds: PlanFunds,
): { admitted: { request: AdmissionRequest; funding: Funding }[]; waiting: AdmissionRequest[]; funds: PlanFunds } {
  const ordered = [...queue].sort(comparePriority);
  const admitted: { request: AdmissionRequest; funding: Funding }[] = [];
  let current = funds;
  let i = 0;
  for (; i < ordered.length; i++) {
    const request = ordered[i]!;
    const funding = reservationFor(request, current);
    if (!funding) break;
    current = reserve(current, funding);
    admitted.push({ request, funding });
  }
  return { admitted, waiting: ordered.slice(i), funds: current };
}

/**
 * 组织实施(一): a refused loan may be replaced by capital where the plan allows it and free capital
 * covers it; that much of the reservation moves from the loan pool to the capital pool.
 */
export function fallbackToCapital(
  funds: PlanFunds,
  reserved: Funding,
  refusedLoanFen: number,
  allowed: boolean,
): { granted: false; reason: string } | { granted: true; funds: PlanFunds; funding: Funding } {
  if (!allowed) return { granted: false, reason: 'the plan does not allow capital in place of a refused loan' };
  if (refusedLoanFen > freeFen(funds.capital)) {
    return {
      granted: false,
      reason: `free capital ${freeFen(funds.capital)} fen does not cover the refused loan of ${refusedLoanFen} fen`,
    };
  }
  const funding = {
    capitalFen: reserved.capitalFen + refusedLoanFen,
    loanFen: Math.max(0, reserved.loanFen - refusedLoanFen),
  };
  return { granted: true, funds: reserve(release(funds, reserved), funding), funding };
}

/**
 * The funding of the contract price within what was reserved (the reservation covered the asking
 * price): the plan's loan share of the price, never more loan than reserved, capital the rest —
 * which never exceeds the reserved capital, since price ≤ asking.
 */
export function contractFunding(priceFen: number, reserved: Funding, loanShareBasisPoints: number): Funding {
  const loanFen = Math.min(reserved.loanFen, splitFunding(priceFen, loanShareBasisPoints).loanFen);
  const funding = { capitalFen: priceFen - loanFen, loanFen };
  if (funding.capitalFen > reserved.capitalFen) throw new Error(`price ${priceFen} fen exceeds the reservation`);
  return funding;
}

/** Money received by the plan: capital (异地建设费) or loan capacity (a bank's credit line). */
export function addFunds(funds: PlanFunds, source: 'capital' | 'loan_capacity', amountFen: number): PlanFunds {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0)
    throw new Error(`funds are a positive whole number of fen, not ${amountFen}`);
  return source === 'capital'
    ? { ...funds, capital: add(funds.capital, 'totalFen', amountFen) }
    : { ...funds, loan: add(funds.loan, 'totalFen', amountFen) };
}

export const NO_FUNDS: PlanFunds = {
  capital: { totalFen: 0, reservedFen: 0, spentFen: 0 },
  loan: { totalFen: 0, reservedFen: 0, spentFen: 0 },
};
