import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { SCHEDULED_START_TIME } from '../search-attributes';
import { cycleIdFor } from './definitions';
import { subsidyCycleWorkflow } from './cycle';

/** The quarter before the one containing this instant, in China Standard Time (UTC+8, no daylight saving). */
export function previousQuarterAt(epochMs: number): string {
  const shanghai = new Date(epochMs + 8 * 3_600_000);
  const quarter = Math.floor(shanghai.getUTCMonth() / 3) + 1;
  const year = shanghai.getUTCFullYear();
  return quarter === 1 ? `${year - 1}Q4` : `${year}Q${quarter - 1}`;
}

/**
 * Started by the quarterly Schedule at the start of each quarter: launches the previous quarter's
 * cycle under its one workflow id. A quarter that already has a cycle is left alone, so a
 * re-triggered or backfilled schedule pays nothing more.
 */
export async function quarterlySubsidyLauncherWorkflow(): Promise<{ quarter: string; started: boolean }> {
  // The scheduled time, not the start time, decides the quarter: a backfill launches the right one.
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  const quarter = previousQuarterAt(scheduled ? scheduled.getTime() : Date.now());
  try {
    await startChild(subsidyCycleWorkflow, {
      workflowId: cycleIdFor(quarter),
      args: [{ quarter }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return { quarter, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { quarter, started: false };
    throw error;
  }
}
