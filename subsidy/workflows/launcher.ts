import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { ParentClosePolicy, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { SCHEDULED_START_TIME } from '../../platform/temporal/search-attributes';
import { withSummaries } from '../../platform/temporal/summaries';
import type { SubsidyActivities } from '../activities';
import { cycleIdFor } from '../contracts/definitions';
import { subsidyCycleWorkflow } from './cycle';
import { cycleStartMetadata, SUBSIDY_ACTIVITY_SUMMARIES } from './summaries';

/** The quarter before the one containing this instant, in China Standard Time (UTC+8, no daylight saving). */
export function previousQuarterAt(epochMs: number): string {
  const shanghai = new Date(epochMs + 8 * 3_600_000);
  const quarter = Math.floor(shanghai.getUTCMonth() / 3) + 1;
  const year = shanghai.getUTCFullYear();
  return quarter === 1 ? `${year - 1}Q4` : `${year}Q${quarter - 1}`;
}

const { checkHolidayArrangement } = withSummaries(
  proxyActivities<SubsidyActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  }),
  SUBSIDY_ACTIVITY_SUMMARIES,
);

/**
 * Whether a scheduled instant is the schedule's holiday-arrangement check (1 November or 1 December,
 * China Standard Time) rather than a quarter's start. A launcher started by hand always launches.
 */
export function isHolidayCheckAt(epochMs: number): boolean {
  const shanghai = new Date(epochMs + 8 * 3_600_000);
  return shanghai.getUTCDate() === 1 && (shanghai.getUTCMonth() === 10 || shanghai.getUTCMonth() === 11);
}

/**
 * Started by the quarterly Schedule at the start of each quarter: launches the previous quarter's
 * cycle under its one workflow id. A quarter that already has a cycle is left alone, so a
 * re-triggered or backfilled schedule pays nothing more.
 */
export async function quarterlySubsidyLauncherWorkflow(): Promise<{
  quarter: string;
  started: boolean;
  holidayArrangement?: { year: number; missing: boolean };
}> {
  // The scheduled time, not the start time, decides the quarter: a backfill launches the right one.
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  const at = scheduled ? scheduled.getTime() : Date.now();
  const quarter = previousQuarterAt(at);
  // The same schedule fires on 1 November and 1 December: then it only checks that next year's
  // official holiday arrangement is loaded, and warns the city health commission when it is not.
  if (scheduled && isHolidayCheckAt(at) && patched('holiday-arrangement-check')) {
    const check = await checkHolidayArrangement({ checkedAt: new Date(at).toISOString() });
    return { quarter, started: false, holidayArrangement: check };
  }
  try {
    await startChild(subsidyCycleWorkflow, {
      workflowId: cycleIdFor(quarter),
      ...cycleStartMetadata({ quarter }),
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
