import { type Client, ScheduleAlreadyRunning, type ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { launcherStartMetadata } from '../../subsidy/workflows/summaries';
import { quarterlySubsidyLauncherWorkflow } from '../workflows';

export const QUARTERLY_SCHEDULE_ID = 'subsidy-quarterly';

/**
 * The quarterly subsidy run (第十条): at 00:05 China Standard Time on the first day of each quarter,
 * a launcher starts the previous quarter's cycle — nobody has to remember. Overlaps are skipped; the
 * launcher's one-id-per-quarter rule makes a manual trigger or a backfill safe.
 */
export function quarterlyScheduleOptions(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: QUARTERLY_SCHEDULE_ID,
    spec: {
      calendars: [
        {
          comment: 'first day of each quarter, 00:05 Asia/Shanghai',
          month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'],
          dayOfMonth: 1,
          hour: 0,
          minute: 5,
        },
        {
          comment: "1 November and 1 December, 09:00 Asia/Shanghai: is next year's holiday arrangement loaded?",
          month: ['NOVEMBER', 'DECEMBER'],
          dayOfMonth: 1,
          hour: 9,
          minute: 0,
        },
      ],
      timezone: 'Asia/Shanghai',
    },
    action: {
      type: 'startWorkflow',
      workflowType: quarterlySubsidyLauncherWorkflow,
      workflowId: 'subsidy-quarterly-launcher',
      ...launcherStartMetadata,
      taskQueue,
      args: [],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days', pauseOnFailure: false },
  };
}

/** Creates the schedule, or brings an existing one up to date (its pause state and history stay). */
export async function ensureQuarterlySchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  const options = quarterlyScheduleOptions(taskQueue);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
    }));
    return 'updated';
  }
}
