import { randomUUID } from 'node:crypto';
import { activityMetadata } from '../../platform/temporal/activity-context';
import { type HousingDeps, housingEvent } from '../context';
import type { HousingActor } from '../contracts/definitions';
import { type AttemptedAction, housingStreams } from '../contracts/events';

/**
 * A step the rules refused (an offer above the cap, a self-approval, a decision out of role, a second
 * post of a listed home): recorded on the listing's stream with who tried, what and why, so the audit
 * sees attempts as well as successes (保障措施(三)).
 *
 * Written by the API, not the workflow: an Update's validator refuses before anything reaches the
 * history (and may do no I/O), and the API is where the attempt arrives with its verified actor.
 * Every attempt is its own event (a random id): two identical refused offers are two attempts.
 */
export async function recordRefusedAttempt(
  deps: Pick<HousingDeps, 'store' | 'db'>,
  input: {
    listingId: string;
    action: AttemptedAction;
    actor: HousingActor;
    reason: string;
    detail?: Record<string, unknown>;
  },
): Promise<boolean> {
  const known = await deps.db
    .selectFrom('housing_listings')
    .select('listing_id')
    .where('listing_id', '=', input.listingId)
    .executeTakeFirst();
  // Attempts on a listing that does not exist are the API's 404s, not a listing's record.
  if (!known) return false;
  const { listingId, action, actor, reason, detail } = input;
  await deps.store.append(
    housingStreams.listing(listingId),
    [
      housingEvent(
        'AttemptRefused',
        { listingId, action, by: actor.subject, role: actor.role, reason, ...(detail ? { detail } : {}) },
        listingId,
        'attempt',
        randomUUID(),
      ),
    ],
    { metadata: activityMetadata({ subject: actor.subject, role: actor.role as never }) },
  );
  return true;
}
