import { ApplicationFailure } from '@temporalio/activity';
import { activityMetadata } from '../../platform/temporal/activity-context';
import { LoanDrawRefusedError } from '../adapters/lending';
import { type HousingDeps, housingEvent, listingHistory, need, pollUntil, WORKER_ACTOR } from '../context';
import type { HousingActor } from '../contracts/definitions';
import { type HousingEvent, housingStreams } from '../contracts/events';
import { decideListing } from '../decide/listing';
import { contractFunding } from '../rules/plan';
import { currentHousingPolicy, housingEntryOn } from '../rules/policy';
import { deedTaxFen, type Funding, priceCap } from '../rules/price';
import { decideOnListing, inStep } from './decide';

// The purchase steps after admission (组织实施(四)): survey, appraisal, offers and approval, contract,
// registration and deed tax (工作任务(四)), loan, the seller's payment, handover. Each reads the facts
// it needs from the listing's own events, records what happened, and is safe to run twice.

export const ids = (listingId: string) => ({
  contract: `HC-${listingId}`,
  registration: `REG-${listingId}`,
  loan: `LOAN-${listingId}`,
});

function append(
  deps: HousingDeps,
  listingId: string,
  events: ReturnType<typeof housingEvent>[],
  actor: HousingActor | string,
) {
  return deps.store.append(housingStreams.listing(listingId), events, { metadata: activityMetadata(actor) });
}

/** The survey report (组织实施(四) 实地勘验), decided on the listing's stream: one report, a failed one names its defects. */
export async function recordSurvey(
  deps: HousingDeps,
  input: { listingId: string; passed: boolean; defects: string[]; photoRefs: string[]; actor: HousingActor },
): Promise<void> {
  const { listingId, passed, defects, photoRefs, actor } = input;
  await decideOnListing(deps, listingId, actor, (state) =>
    // Already on the stream: a retry after the append committed.
    state.surveyFiled ? [] : decideListing(state, { kind: 'survey', actor, passed, defects, photoRefs }),
  );
}

export interface CapFacts {
  capFen: number;
  appraisalFen: number;
  askingFen: number;
}

type Report = { reportId: string; firm: string; valueFen: number; marketRentFen: number; appraisedOn: string };

/** Records a firm's report and the price cap the domain derives from it; facts that give no cap fail for good. */
async function recordAppraisalReport(
  deps: HousingDeps,
  listingId: string,
  report: Report,
  actor: HousingActor | string,
): Promise<CapFacts> {
  const history = await listingHistory(deps.store, listingId);
  const listing = need(history.ListingRegistered, `listing ${listingId}`);
  const recorded = history.PriceCapSet;
  if (recorded) return { capFen: recorded.capFen, appraisalFen: recorded.appraisalFen, askingFen: listing.askingFen };
  const policy = currentHousingPolicy();
  const entry = housingEntryOn(policy, listing.registeredOn);
  let cap: ReturnType<typeof priceCap>;
  try {
    cap = priceCap({
      kind: listing.kind,
      appraisalFen: report.valueFen,
      floorAreaDm2: listing.floorAreaDm2,
      ceilingPerM2Fen: entry.newStockCeilingPerM2Fen,
    });
  } catch (error) {
    // The facts themselves are wrong (e.g. a floor area of 0): a retry would fail the same way forever.
    throw ApplicationFailure.nonRetryable(
      `no price cap for ${listingId}: ${(error as Error).message}`,
      'AppraisalUnusable',
    );
  }
  await append(
    deps,
    listingId,
    [
      housingEvent(
        'AppraisalReceived',
        {
          listingId,
          reportId: report.reportId,
          firm: report.firm,
          valueFen: report.valueFen,
          marketRentFen: report.marketRentFen,
          appraisedOn: report.appraisedOn,
        },
        listingId,
      ),
      housingEvent('PriceCapSet', { listingId, ...cap, policyVersion: policy.version }, listingId),
    ],
    actor,
  );
  return { capFen: cap.capFen, appraisalFen: cap.appraisalFen, askingFen: listing.askingFen };
}

function appraisalRequest(
  listingId: string,
  listing: { kind: 'new_stock' | 'second_hand'; region: string; floorAreaDm2: number; askingFen: number },
) {
  return {
    requestId: listingId,
    listingId,
    kind: listing.kind,
    region: listing.region,
    floorAreaDm2: listing.floorAreaDm2,
    askingFen: listing.askingFen,
  };
}

/** The appraisal firm's value and rent, and the price cap the domain derives from them (workflows started before commissions). */
export async function appraise(deps: HousingDeps, input: { listingId: string }): Promise<CapFacts> {
  const { listingId } = input;
  const listing = need((await listingHistory(deps.store, listingId)).ListingRegistered, `listing ${listingId}`);
  const report = await deps.housing.appraisal.appraise(appraisalRequest(listingId, listing));
  return recordAppraisalReport(deps, listingId, report, `appraisal:${report.firm}`);
}

/**
 * The 住建局 commissions an appraisal firm for the listing (recorded). A firm that answers by machine
 * (the simulator) gives its report at once and the cap is set; any other firm submits later through
 * its own role (`submitAppraisal`).
 */
export async function commissionAppraisal(
  deps: HousingDeps,
  input: { listingId: string },
): Promise<{ firm: string; cap?: CapFacts }> {
  const { listingId } = input;
  const history = await listingHistory(deps.store, listingId);
  const listing = need(history.ListingRegistered, `listing ${listingId}`);
  const commissioned = history.AppraisalCommissioned;
  if (history.PriceCapSet) {
    const c = history.PriceCapSet;
    return {
      firm: commissioned?.firm ?? history.AppraisalReceived?.firm ?? '',
      cap: { capFen: c.capFen, appraisalFen: c.appraisalFen, askingFen: listing.askingFen },
    };
  }
  const answer = await deps.housing.appraisal.commission(appraisalRequest(listingId, listing));
  const firm = commissioned?.firm ?? answer.firm;
  if (!commissioned)
    await append(
      deps,
      listingId,
      [housingEvent('AppraisalCommissioned', { listingId, firm }, listingId)],
      WORKER_ACTOR,
    );
  if (!answer.report || answer.report.firm !== firm) return { firm };
  return { firm, cap: await recordAppraisalReport(deps, listingId, answer.report, `appraisal:${firm}`) };
}

/** A commissioned firm's report, submitted through its role: value and market rent with the report's reference. */
export async function submitAppraisal(
  deps: HousingDeps,
  input: {
    listingId: string;
    reportRef: string;
    valueFen: number;
    marketRentFen: number;
    appraisedOn: string;
    actor: HousingActor;
  },
): Promise<CapFacts> {
  const { listingId, actor, valueFen, marketRentFen, reportRef } = input;
  // Decided on the stream (the commissioned firm, one report); a retry after the cap was set returns that cap.
  const state = await decideOnListing(deps, listingId, actor, (listing) => {
    if (listing.capFen === undefined)
      decideListing(listing, { kind: 'appraisal', actor, valueFen, marketRentFen, reportRef });
    return [];
  });
  const report = {
    reportId: reportRef,
    firm: need(state.appraisalFirm, `appraisal commission of ${listingId}`),
    valueFen,
    marketRentFen,
    appraisedOn: input.appraisedOn,
  };
  return recordAppraisalReport(deps, listingId, report, actor);
}

/** An offer, decided on the listing's stream: never above the cap nor the asking price, one agreed price at a time. */
export async function recordOffer(
  deps: HousingDeps,
  input: { listingId: string; offerNo: number; priceFen: number; sellerAccepted: boolean; actor: HousingActor },
): Promise<void> {
  const { listingId, offerNo, priceFen, sellerAccepted, actor } = input;
  await decideOnListing(deps, listingId, actor, (state) =>
    // A retry after the append committed finds its offer on the stream.
    state.offers >= offerNo
      ? []
      : inStep(listingId, decideListing(state, { kind: 'offer', actor, priceFen, sellerAccepted }), offerNo),
  );
}

/** Four eyes (保障措施(三)), decided on the listing's stream: the approver of an agreed price is never its negotiator. */
export async function recordApproval(
  deps: HousingDeps,
  input: {
    listingId: string;
    offerNo: number;
    priceFen: number;
    negotiator: string;
    approved: boolean;
    reason: string;
    actor: HousingActor;
  },
): Promise<void> {
  const { listingId, offerNo, approved, reason, actor } = input;
  await decideOnListing(deps, listingId, actor, (state) =>
    state.approvalDecidedFor >= offerNo
      ? []
      : inStep(listingId, decideListing(state, { kind: 'approval', actor, approved, reason }), offerNo),
  );
}

/** The contract at the approved price, funded within the plan's reservation; never above the cap. */
export async function signContract(
  deps: HousingDeps,
  input: { listingId: string },
): Promise<Funding & { priceFen: number }> {
  const { listingId } = input;
  const history = await listingHistory(deps.store, listingId);
  const signed = history.ContractSigned;
  if (signed) return { priceFen: signed.priceFen, capitalFen: signed.capitalFen, loanFen: signed.loanFen };
  const approval = need(history.PriceApprovalDecided, `approval of ${listingId}`);
  const cap = need(history.PriceCapSet, `price cap of ${listingId}`);
  const admitted = need(history.PurchaseAdmitted, `admission of ${listingId}`);
  const listing = need(history.ListingRegistered, listingId);
  if (!approval.approved || approval.priceFen > cap.capFen) {
    throw ApplicationFailure.nonRetryable(
      `no contract for ${listingId}: price ${approval.priceFen} fen, cap ${cap.capFen} fen, approved ${approval.approved}`,
      'ContractRefused',
    );
  }
  const entry = housingEntryOn(currentHousingPolicy(), listing.registeredOn);
  const funding = contractFunding(approval.priceFen, admitted, entry.loanShareBasisPoints);
  await append(
    deps,
    listingId,
    [
      housingEvent(
        'ContractSigned',
        { listingId, contractId: ids(listingId).contract, priceFen: approval.priceFen, ...funding },
        listingId,
      ),
    ],
    approval.by,
  );
  return { priceFen: approval.priceFen, ...funding };
}

export type RegistrationOutcome =
  | { status: 'registered'; certificateNo: string }
  | { status: 'failed'; reason: string };

/** 不动产登记 and 契税 on the fast track (工作任务(四)): filed, then awaited (the registry decides later). */
export async function registerPurchase(
  deps: HousingDeps,
  input: { listingId: string; pollIntervalMs: number },
): Promise<RegistrationOutcome> {
  const { listingId } = input;
  const history = await listingHistory(deps.store, listingId);
  if (history.RegistrationCompleted)
    return { status: 'registered', certificateNo: history.RegistrationCompleted.certificateNo };
  if (history.RegistrationFailed) return { status: 'failed', reason: history.RegistrationFailed.reason };
  const contract = need(history.ContractSigned, `contract of ${listingId}`);
  const listing = need(history.ListingRegistered, listingId);
  const applicationId = ids(listingId).registration;
  const deedTax = deedTaxFen(
    contract.priceFen,
    housingEntryOn(currentHousingPolicy(), listing.registeredOn).deedTaxBasisPoints,
  );
  await append(
    deps,
    listingId,
    [housingEvent('RegistrationFiled', { listingId, applicationId, deedTaxFen: deedTax }, listingId)],
    WORKER_ACTOR,
  );
  const request = {
    applicationId,
    listingId,
    contractId: contract.contractId,
    priceFen: contract.priceFen,
    deedTaxFen: deedTax,
  };
  const decided = await pollUntil(async () => {
    // An application the registry lost (or never got) is filed again under the same id.
    const status = (await deps.housing.registry.status(applicationId)) ?? (await deps.housing.registry.submit(request));
    return status.status === 'pending' ? undefined : status;
  }, input.pollIntervalMs);
  if (decided.status === 'registered') {
    const { certificateNo, deedTaxPaidFen } = decided;
    await append(
      deps,
      listingId,
      [housingEvent('RegistrationCompleted', { listingId, applicationId, certificateNo, deedTaxPaidFen }, listingId)],
      'registry',
    );
    return { status: 'registered', certificateNo };
  }
  await append(
    deps,
    listingId,
    [housingEvent('RegistrationFailed', { listingId, applicationId, reason: decided.reason }, listingId)],
    'registry',
  );
  return { status: 'failed', reason: decided.reason };
}

export type LoanOutcome = { status: 'approved'; amountFen: number } | { status: 'refused'; reason: string };

/** The bank's credit decision on the contract's loan (组织实施(四)), applied for and awaited. */
export async function obtainLoanDecision(
  deps: HousingDeps,
  input: { listingId: string; pollIntervalMs: number },
): Promise<LoanOutcome> {
  const { listingId } = input;
  const history = await listingHistory(deps.store, listingId);
  if (history.LoanApproved) return { status: 'approved', amountFen: history.LoanApproved.amountFen };
  if (history.LoanRefused) return { status: 'refused', reason: history.LoanRefused.reason };
  const contract = need(history.ContractSigned, `contract of ${listingId}`);
  const applicationId = ids(listingId).loan;
  const application = { applicationId, listingId, contractId: contract.contractId, amountFen: contract.loanFen };
  await append(
    deps,
    listingId,
    [housingEvent('LoanApplied', { listingId, applicationId, amountFen: contract.loanFen }, listingId)],
    WORKER_ACTOR,
  );
  const decided = await pollUntil(async () => {
    const status =
      (await deps.housing.lending.status(applicationId)) ?? (await deps.housing.lending.apply(application));
    return status.status === 'pending' ? undefined : status;
  }, input.pollIntervalMs);
  if (decided.status === 'refused') {
    await append(
      deps,
      listingId,
      [housingEvent('LoanRefused', { listingId, applicationId, reason: decided.reason }, listingId)],
      'bank',
    );
    return { status: 'refused', reason: decided.reason };
  }
  if (decided.status === 'cancelled')
    throw ApplicationFailure.nonRetryable(`loan ${applicationId} was cancelled`, 'LoanCancelled');
  await append(
    deps,
    listingId,
    [housingEvent('LoanApproved', { listingId, applicationId, amountFen: decided.amountFen }, listingId)],
    'bank',
  );
  return { status: 'approved', amountFen: decided.amountFen };
}

/** The bank releases the loan against the registered certificate (工作任务(四): 满足金融机构放款条件). */
export async function drawLoan(deps: HousingDeps, input: { listingId: string }): Promise<void> {
  const { listingId } = input;
  const history = await listingHistory(deps.store, listingId);
  const registration = need(history.RegistrationCompleted, `registration of ${listingId}`);
  const applicationId = ids(listingId).loan;
  try {
    const drawn = await deps.housing.lending.draw(applicationId, registration.certificateNo);
    await append(
      deps,
      listingId,
      [
        housingEvent(
          'LoanDrawn',
          {
            listingId,
            applicationId,
            loanId: drawn.loanId,
            amountFen: drawn.amountFen,
            certificateNo: registration.certificateNo,
          },
          listingId,
        ),
      ],
      'bank',
    );
  } catch (error) {
    if (error instanceof LoanDrawRefusedError) throw ApplicationFailure.nonRetryable(error.message, 'LoanDrawRefused');
    throw error;
  }
}

/** The home enters the affordable rental stock at the appraised market rent. */
export async function handOver(deps: HousingDeps, input: { listingId: string }): Promise<void> {
  const { listingId } = input;
  const history = await listingHistory(deps.store, listingId);
  const listing = need(history.ListingRegistered, listingId);
  const appraisal = need(history.AppraisalReceived, `appraisal of ${listingId}`);
  const contract = need(history.ContractSigned, `contract of ${listingId}`);
  const handed: Extract<HousingEvent, { type: 'HomeHandedOver' }>['data'] = {
    listingId,
    region: listing.region,
    floorAreaDm2: listing.floorAreaDm2,
    monthlyRentFen: appraisal.marketRentFen,
    priceFen: contract.priceFen,
  };
  await append(
    deps,
    listingId,
    [
      housingEvent('HomeHandedOver', handed, listingId),
      housingEvent(
        'ListingClosed',
        { listingId, outcome: 'handed_over', reasons: ['handed over to the affordable rental stock'] },
        listingId,
      ),
    ],
    WORKER_ACTOR,
  );
}
