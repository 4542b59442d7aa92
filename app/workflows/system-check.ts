import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createSystemActivities } from '../activities/system';

// The smallest end-to-end proof of the wiring: API → Temporal → worker → activity → event store.
const { recordSystemCheck } = proxyActivities<ReturnType<typeof createSystemActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export interface SystemCheckInput {
  requestedBy: string;
}

export interface SystemCheckResult {
  streamId: string;
  position: string;
  hash: string;
}

export async function systemCheckWorkflow(input: SystemCheckInput): Promise<SystemCheckResult> {
  const { workflowId, runId } = workflowInfo();
  return recordSystemCheck({ workflowId, runId, requestedBy: input.requestedBy });
}
