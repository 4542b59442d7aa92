import { activityMetadata, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import type { Actor } from '../contracts/definitions';
import { streams } from '../contracts/events';

export async function openRecovery(
  deps: SubsidyDeps,
  input: { recoveryId: string; paymentId: string; amountFen: number; reason: string; actor: Actor },
): Promise<void> {
  const payment = await deps.db
    .selectFrom('entitlements')
    .select(['amount_fen'])
    .where('payment_id', '=', input.paymentId)
    .executeTakeFirst();
  if (!payment) throw new Error(`no payment ${input.paymentId}`);
  await deps.store.append(
    streams.recovery(input.recoveryId),
    [subsidyEvent('RecoveryOpened', input, input.recoveryId, 'opened')],
    { metadata: activityMetadata(input.actor) },
  );
}

export async function recordRepayment(
  deps: SubsidyDeps,
  input: { recoveryId: string; amountFen: number; reference: string; actor: Actor },
): Promise<void> {
  await deps.store.append(
    streams.recovery(input.recoveryId),
    [subsidyEvent('RecoveryRepaid', input, input.recoveryId, 'repaid', input.reference)],
    { metadata: activityMetadata(input.actor) },
  );
}

export async function recordRecoveryReminder(
  deps: SubsidyDeps,
  input: { recoveryId: string; reminder: number; outstandingFen: number },
): Promise<void> {
  await deps.store.append(
    streams.recovery(input.recoveryId),
    [
      subsidyEvent(
        'CycleNotice',
        {
          cycleId: input.recoveryId,
          notice: 'RecoveryReminderSent',
          reminder: input.reminder,
          outstandingFen: input.outstandingFen,
        },
        input.recoveryId,
        'reminder',
        input.reminder,
      ),
    ],
    { metadata: activityMetadata(SYSTEM_ACTOR) },
  );
}
