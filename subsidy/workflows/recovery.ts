import type { Duration } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { withSummaries } from '../../platform/temporal/summaries';
import type { SubsidyActivities } from '../activities';
import type { Actor } from '../contracts/definitions';
import { recoveryDetailsZh, SUBSIDY_ACTIVITY_SUMMARIES } from './summaries';

const { openRecovery, recordRepayment, recordRecoveryReminder } = withSummaries(
  proxyActivities<SubsidyActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  }),
  SUBSIDY_ACTIVITY_SUMMARIES,
);

export interface RecoveryInput {
  paymentId: string;
  amountFen: number;
  reason: string;
  actor: Actor;
  /** How often an open receivable is brought up again; default 30 days. */
  remindEvery?: Duration;
}

export interface RecoveryState {
  recoveryId: string;
  paymentId: string;
  amountFen: number;
  repaidFen: number;
  reminders: number;
}

export const recordRepaymentUpdate = defineUpdate<
  RecoveryState,
  [{ amountFen: number; reference: string; actor: Actor }]
>('recordRepayment');
export const recoveryStateQuery = defineQuery<RecoveryState>('recoveryState');

/**
 * Recovery of money obtained with forged material (追回, 第十三条): a receivable against the payment —
 * which itself is never altered — followed until it is repaid, with a reminder each period.
 */
export async function recoveryWorkflow(input: RecoveryInput): Promise<RecoveryState> {
  const recoveryId = workflowInfo().workflowId;
  const state: RecoveryState = {
    recoveryId,
    paymentId: input.paymentId,
    amountFen: input.amountFen,
    repaidFen: 0,
    reminders: 0,
  };
  setHandler(recoveryStateQuery, () => state);
  setHandler(
    recordRepaymentUpdate,
    async ({ amountFen, reference, actor }) => {
      await recordRepayment({ recoveryId, amountFen, reference, actor });
      state.repaidFen += amountFen;
      setCurrentDetails(recoveryDetailsZh(state));
      return state;
    },
    {
      validator: ({ amountFen, actor }) => {
        if (!['finance', 'administrator'].includes(actor.role))
          throw new Error(`actor ${actor.subject} (${actor.role}) may not record repayments`);
        if (!Number.isInteger(amountFen) || amountFen <= 0)
          throw new Error('a repayment is a positive whole number of fen');
        if (state.repaidFen + amountFen > state.amountFen)
          throw new Error(`only ${state.amountFen - state.repaidFen} fen are outstanding`);
      },
    },
  );
  await openRecovery({
    recoveryId,
    paymentId: input.paymentId,
    amountFen: input.amountFen,
    reason: input.reason,
    actor: input.actor,
  });
  setCurrentDetails(recoveryDetailsZh(state));
  while (!(await condition(() => state.repaidFen >= state.amountFen, input.remindEvery ?? '30 days'))) {
    state.reminders++;
    setCurrentDetails(recoveryDetailsZh(state));
    await recordRecoveryReminder({
      recoveryId,
      reminder: state.reminders,
      outstandingFen: state.amountFen - state.repaidFen,
    });
  }
  await condition(allHandlersFinished);
  return state;
}
