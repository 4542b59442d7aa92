import { describe, expect, it } from 'vitest';
import {
  type AdmissionRequest,
  addFunds,
  admitInTurn,
  assessPriority,
  contractFunding,
  currentHousingPolicy,
  deedTaxFen,
  fallbackToCapital,
  type ListingFacts,
  NO_FUNDS,
  offerRefusal,
  priceCap,
  screenListing,
  splitFunding,
} from '../../housing/rules';

// The Plan's rules as pure functions (许政办〔2025〕10号): no Temporal, no database.
const policy = currentHousingPolicy();
const listing = (overrides: Partial<ListingFacts> = {}): ListingFacts => ({
  listingId: 'HL-0000000000000001',
  kind: 'second_hand',
  region: 'yiquan_liangu',
  floorAreaDm2: 8950,
  askingFen: 80_000_000,
  certificates: ['property_certificate'],
  canRegister: true,
  registeredOn: '2025-05-01',
  ...overrides,
});

describe('screening', () => {
  it('passes a second-hand home in a core area with demand', () => {
    expect(screenListing(listing(), policy, 3).verdict).toBe('eligible');
  });
  it('rejects at once on missing certificates, an unregistrable new home or no unmet demand', () => {
    expect(screenListing(listing({ kind: 'new_stock', certificates: ['land_use'] }), policy, 3).verdict).toBe(
      'rejected',
    );
    const fiveCertificates = [
      'land_use',
      'land_planning',
      'construction_planning',
      'construction_permit',
      'sales_permit',
    ] as const;
    expect(
      screenListing(listing({ kind: 'new_stock', certificates: [...fiveCertificates], canRegister: false }), policy, 3)
        .verdict,
    ).toBe('rejected');
    expect(screenListing(listing(), policy, 0).checks.find((c) => c.rule === 'demand')).toMatchObject({
      passed: false,
    });
    expect(screenListing(listing({ region: 'nowhere' }), policy, 3).verdict).toBe('rejected');
  });
  it('waits for an exception above 140 m² and for 一事一议 outside the core areas; refused or overdue rejects', () => {
    const big = listing({ floorAreaDm2: 14001, region: 'weidu' });
    expect(screenListing(listing({ floorAreaDm2: 14000 }), policy, 1).verdict).toBe('eligible');
    expect(screenListing(big, policy, 1)).toMatchObject({
      verdict: 'pending',
      pending: ['area_exception', 'case_by_case'],
    });
    const yes = { granted: true, reason: 'r', by: 'a' };
    expect(screenListing(big, policy, 1, { areaException: yes, caseByCase: yes }).verdict).toBe('eligible');
    expect(screenListing(big, policy, 1, { areaException: { ...yes, granted: false }, caseByCase: yes }).verdict).toBe(
      'rejected',
    );
    expect(screenListing(big, policy, 1, { areaException: yes, expired: true }).verdict).toBe('rejected');
  });
});

describe('price cap and money (integer fen)', () => {
  it('caps a second-hand home at its appraisal (工作任务(三))', () => {
    expect(
      priceCap({ kind: 'second_hand', appraisalFen: 75_000_000, floorAreaDm2: 8950, ceilingPerM2Fen: 1 }),
    ).toMatchObject({ capFen: 75_000_000, basis: 'appraisal' });
  });
  it('caps new stock at the lower of the appraisal and the ceiling per m² × area, rounded down', () => {
    expect(
      priceCap({ kind: 'new_stock', appraisalFen: 75_000_000, floorAreaDm2: 8951, ceilingPerM2Fen: 650_001 }),
    ).toMatchObject({
      capFen: 58_181_589, // floor(650001 × 89.51)
      basis: 'policy_ceiling',
    });
    expect(
      priceCap({ kind: 'new_stock', appraisalFen: 50_000_000, floorAreaDm2: 8950, ceilingPerM2Fen: 650_000 }).basis,
    ).toBe('appraisal');
  });
  it('refuses offers above the cap or the asking price', () => {
    expect(offerRefusal(100, 100, 200)).toBeNull();
    expect(offerRefusal(101, 100, 200)).toMatch(/above the price cap/);
    expect(offerRefusal(100, 150, 99)).toMatch(/above the asking price/);
    expect(offerRefusal(0, 100, 100)).not.toBeNull();
  });
  it('splits funding and deed tax exactly', () => {
    expect(splitFunding(1_000_001, 7000)).toEqual({ capitalFen: 300_001, loanFen: 700_000 });
    expect(deedTaxFen(76_000_000, 300)).toBe(2_280_000);
    const reserved = splitFunding(80_000_000, 7000);
    const funding = contractFunding(79_999_999, reserved, 7000);
    expect(funding.capitalFen + funding.loanFen).toBe(79_999_999);
    expect(funding.capitalFen).toBeLessThanOrEqual(reserved.capitalFen);
  });
});

describe('the purchase plan', () => {
  const request = (listingId: string, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
    listingId,
    workflowId: listingId,
    amountFen: 1_000,
    loanShareBasisPoints: 7000,
    firstInLine: false,
    unmetDemand: 1,
    seq: 1,
    ...overrides,
  });

  it('puts buildings above 80 % first, then areas with more unmet demand, then arrival', () => {
    expect(assessPriority({ ownersTotal: 10, ownersWilling: 8 }, 1, 80).firstInLine).toBe(false);
    expect(assessPriority({ ownersTotal: 10, ownersWilling: 9 }, 1, 80).firstInLine).toBe(true);
    const funds = addFunds(addFunds(NO_FUNDS, 'capital', 600), 'loan_capacity', 1_400);
    const round = admitInTurn(
      [request('a', { seq: 1 }), request('b', { seq: 2, unmetDemand: 5 }), request('c', { seq: 3, firstInLine: true })],
      funds,
    );
    expect(round.admitted.map((a) => a.request.listingId)).toEqual(['c', 'b']);
    expect(round.waiting.map((w) => w.listingId)).toEqual(['a']);
  });

  it('never lets a cheaper listing overtake one that goes first', () => {
    const funds = addFunds(addFunds(NO_FUNDS, 'capital', 300), 'loan_capacity', 700);
    const round = admitInTurn(
      [request('big', { firstInLine: true, amountFen: 5_000 }), request('small', { seq: 2 })],
      funds,
    );
    expect(round.admitted).toEqual([]);
  });

  it('replaces a refused loan with capital only where the plan allows and the capital is free', () => {
    const funds = addFunds(addFunds(NO_FUNDS, 'capital', 1_000), 'loan_capacity', 700);
    const round = admitInTurn([request('a')], funds);
    const reserved = round.admitted[0]!.funding;
    expect(fallbackToCapital(round.funds, reserved, 700, false).granted).toBe(false);
    const granted = fallbackToCapital(round.funds, reserved, 700, true);
    expect(granted).toMatchObject({ granted: true, funding: { capitalFen: 1_000, loanFen: 0 } });
    expect(fallbackToCapital(round.funds, reserved, 800, true).granted).toBe(false);
  });
});
