import { activityMetadata } from '../../platform/temporal/activity-context';
import { type HousingDeps, housingEvent, listingHistory, need, PLAN_ACTOR, WORKER_ACTOR } from '../context';
import type { FundsInput } from '../contracts/definitions';
import { housingStreams, type ListingOutcomeKind } from '../contracts/events';
import type { Funding } from '../rules/price';
import { ids } from './purchase';

// The saga's compensations (a refused loan or a failed registration) and the plan's own records.
// Each is an event of its own, so the record shows what was undone, why, and in which order.

const appendTo = (
  deps: HousingDeps,
  listingId: string,
  events: ReturnType<typeof housingEvent>[],
  actor = WORKER_ACTOR,
) => deps.store.append(housingStreams.listing(listingId), events, { metadata: activityMetadata(actor) });

/** 组织实施(一): capital (异地建设费) replaces a refused loan, as the plan granted. */
export async function recordLoanFallback(
  deps: HousingDeps,
  input: { listingId: string; refusedLoanFen: number },
): Promise<Funding> {
  const { listingId, refusedLoanFen } = input;
  const contract = need((await listingHistory(deps.store, listingId)).ContractSigned, `contract of ${listingId}`);
  const funding = { capitalFen: contract.capitalFen + refusedLoanFen, loanFen: contract.loanFen - refusedLoanFen };
  await appendTo(
    deps,
    listingId,
    [housingEvent('LoanFallbackToCapital', { listingId, ...funding, refusedLoanFen }, listingId)],
    PLAN_ACTOR,
  );
  return funding;
}

export async function cancelLoan(deps: HousingDeps, input: { listingId: string; reason: string }): Promise<void> {
  const applicationId = ids(input.listingId).loan;
  await deps.housing.lending.cancel(applicationId, input.reason);
  await appendTo(deps, input.listingId, [
    housingEvent('LoanCancelled', { listingId: input.listingId, applicationId, reason: input.reason }, input.listingId),
  ]);
}

/** Unwinds a completed registration: the home goes back to the seller's name. */
export async function unwindRegistration(
  deps: HousingDeps,
  input: { listingId: string; reason: string },
): Promise<void> {
  const { listingId, reason } = input;
  const registration = need(
    (await listingHistory(deps.store, listingId)).RegistrationCompleted,
    `registration of ${listingId}`,
  );
  await deps.housing.registry.revoke(registration.applicationId, reason);
  await appendTo(
    deps,
    listingId,
    [
      housingEvent(
        'RegistrationUnwound',
        { listingId, applicationId: registration.applicationId, certificateNo: registration.certificateNo, reason },
        listingId,
      ),
    ],
    'registry',
  );
}

export async function terminateContract(
  deps: HousingDeps,
  input: { listingId: string; reason: string },
): Promise<void> {
  await appendTo(deps, input.listingId, [
    housingEvent(
      'ContractTerminated',
      { listingId: input.listingId, contractId: ids(input.listingId).contract, reason: input.reason },
      input.listingId,
    ),
  ]);
}

/** The listing ends without a purchase: its reservation goes back to the plan (when it had one), then the outcome. */
export async function closeListing(
  deps: HousingDeps,
  input: { listingId: string; outcome: ListingOutcomeKind; reasons: string[]; released?: Funding },
): Promise<void> {
  const { listingId, outcome, reasons, released } = input;
  const events = [];
  if (released) events.push(housingEvent('FundsReleased', { listingId, ...released, reason: outcome }, listingId));
  events.push(housingEvent('ListingClosed', { listingId, outcome, reasons }, listingId));
  await appendTo(deps, listingId, events);
}

/** Money received by the plan (组织实施(一)): 异地建设费 as capital, or a bank's credit line. */
export async function recordPlanFunds(deps: HousingDeps, input: { planId: string; funds: FundsInput }): Promise<void> {
  const { planId, funds } = input;
  await deps.store.append(
    housingStreams.plan(planId),
    [
      housingEvent(
        'PlanFundsAdded',
        {
          planId,
          source: funds.source,
          amountFen: funds.amountFen,
          reference: funds.reference,
          by: funds.actor.subject,
        },
        planId,
        funds.source,
        funds.reference,
      ),
    ],
    { metadata: activityMetadata(funds.actor) },
  );
}

/** A step failed in a way no retry can fix (e.g. the appraisal firm refuses the facts): recorded with its reason. */
export async function recordStepFailed(
  deps: HousingDeps,
  input: { listingId: string; step: string; reason: string },
): Promise<void> {
  await appendTo(deps, input.listingId, [housingEvent('StepFailed', input, input.listingId, input.step)]);
}
