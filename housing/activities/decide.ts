import { ApplicationFailure } from '@temporalio/activity';
import { decideOnStream, type NewEvent } from '../../platform/eventstore';
import { activityMetadata } from '../../platform/temporal/activity-context';
import { type HousingDeps, housingEvent } from '../context';
import type { HousingActor } from '../contracts/definitions';
import { type HousingEvent, housingStreams } from '../contracts/events';
import {
  evolveListing,
  type ListingDecided,
  type ListingDecisionState,
  ListingRefused,
  openListing,
} from '../decide/listing';

/** A decided event with its content-derived id (a retry appends nothing new). */
export function listingEvent(event: ListingDecided): NewEvent {
  const { listingId } = event.data;
  if (event.type === 'OfferMade' || event.type === 'PriceApprovalDecided')
    return housingEvent(event.type, event.data, listingId, event.data.offerNo);
  return housingEvent(event.type, event.data, listingId);
}

/**
 * Decides on the listing's own stream: fold, decide, append at the version decided on (again on a concurrent
 * append). A refusal is final: a non-retryable failure with the refusal's code.
 */
export async function decideOnListing(
  deps: HousingDeps,
  listingId: string,
  actor: HousingActor,
  decide: (state: ListingDecisionState) => ListingDecided[],
): Promise<ListingDecisionState> {
  try {
    const { state } = await decideOnStream(
      deps.store,
      housingStreams.listing(listingId),
      {
        initial: openListing(listingId),
        evolve: (state, event) => evolveListing(state, event as unknown as HousingEvent),
        decide: (state) => decide(state).map(listingEvent),
      },
      activityMetadata(actor),
    );
    return state;
  } catch (error) {
    if (error instanceof ListingRefused) throw ApplicationFailure.nonRetryable(error.message, error.code);
    throw error;
  }
}

/** The workflow numbered this offer `offerNo`; a stream that disagrees is a fault no retry mends. */
export function inStep(listingId: string, decided: ListingDecided[], offerNo: number): ListingDecided[] {
  const event = decided[0];
  if (event && 'offerNo' in event.data && event.data.offerNo !== offerNo)
    throw ApplicationFailure.nonRetryable(
      `${listingId}: the stream is at offer ${event.data.offerNo}, the workflow at ${offerNo}`,
      'ListingOutOfStep',
    );
  return decided;
}
