import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { LISTING_KIND, REGION } from '../../platform/temporal/search-attributes';
import { type ListingTiming, listingWorkflowId } from '../contracts/definitions';
import type { ListingKind } from '../rules/types';
import { housingListingWorkflow } from '../workflows/listing';
import { housingPurchasePlanWorkflow } from '../workflows/plan';
import { listingStartMetadata, planStartMetadata } from '../workflows/summaries';

// Client-side starts of the housing workflows, shared by the API, the CLI, the bench and the tests.

/** Starts the purchase plan unless it runs already (it runs for as long as the programme does). */
export async function ensurePurchasePlan(
  client: Client,
  taskQueue: string,
  planId: string,
  options: { capitalFallbackAllowed?: boolean } = {},
): Promise<void> {
  try {
    await client.workflow.start(housingPurchasePlanWorkflow, {
      taskQueue,
      workflowId: planId,
      ...planStartMetadata(planId),
      args: [{ planId, ...options }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Starts a listing's workflow (one per listing, ever: a second start finds the first, running or ended). */
export async function startListingWorkflow(
  client: Client,
  taskQueue: string,
  listing: { listingId: string; kind: ListingKind; region: string },
  options: { planId: string; timing?: ListingTiming },
): Promise<{ workflowId: string; started: boolean }> {
  await ensurePurchasePlan(client, taskQueue, options.planId);
  const workflowId = listingWorkflowId(listing.listingId);
  try {
    await client.workflow.start(housingListingWorkflow, {
      taskQueue,
      workflowId,
      ...listingStartMetadata(listing),
      // One home, one purchase: a listing whose workflow has ended is never started again.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [{ ...listing, planWorkflowId: options.planId, ...(options.timing ? { timing: options.timing } : {}) }],
      typedSearchAttributes: [
        { key: LISTING_KIND, value: listing.kind },
        { key: REGION, value: listing.region },
      ],
    });
    return { workflowId, started: true };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { workflowId, started: false };
  }
}
