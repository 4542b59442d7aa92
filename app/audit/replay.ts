import type { Client } from '@temporalio/client';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { dataConverter } from '../../platform/temporal/client';

export type ReplayVerdict =
  | { ok: true; workflowId: string; events: number }
  | { ok: false; workflowId: string; events: number; nondeterministic: boolean; message: string };

/**
 * Fetches a workflow's history from Temporal and replays it against workflow code (by default the
 * current bundle): a change that would make running workflows diverge shows up here, offline.
 */
export async function replayWorkflow(
  client: Client,
  workflowId: string,
  workflowBundle: WorkflowBundle,
  runId?: string,
): Promise<ReplayVerdict> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events?.length ?? 0;
  try {
    await Worker.runReplayHistory({ workflowBundle, dataConverter: dataConverter() }, history, workflowId);
    return { ok: true, workflowId, events };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { ok: false, workflowId, events, nondeterministic: error instanceof DeterminismViolationError, message };
  }
}
