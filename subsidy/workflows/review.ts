import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { STAGE } from '../../platform/temporal/search-attributes';
import { withSummaries } from '../../platform/temporal/summaries';
import type { SubsidyActivities } from '../activities';
import {
  type Actor,
  addSelfApplicationUpdate,
  decideItemsUpdate,
  type ReviewDecision,
  type ReviewProgress,
  reviewProgressQuery,
  submitReviewUpdate,
} from '../contracts/definitions';
import {
  decideReview,
  evolveReview,
  openReview,
  type ReviewCommand,
  type ReviewDecided,
  type ReviewEvent,
  ReviewRefused,
  undecidedCount,
} from '../decide/review';
import { reviewDetailsZh, SUBSIDY_ACTIVITY_SUMMARIES } from './summaries';
import { doneBefore, SerialLock } from './timing';

const { recordReviewDecision, addSelfApplication, submitReview, recordCycleEvent } = withSummaries(
  proxyActivities<SubsidyActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  }),
  SUBSIDY_ACTIVITY_SUMMARIES,
);

export interface CountyReviewInput {
  cycleId: string;
  jurisdiction: string;
  items: number;
  autoApprove: boolean;
  /** ISO instants (Asia/Shanghai deadlines, computed by the cycle from the working-day calendar). */
  remindAt: string;
  escalateAt: string;
}

/**
 * County review (第十条 step 2): the county's reviewers approve, reject or exclude items by
 * selection — "approve all except these" is one request however many items there are — enter
 * self-applications of uninsured people (第七条), and submit. Every decision is an event written by
 * an activity; this workflow keeps the review's state folded from the same events (subsidy/decide/review.ts),
 * and its validators decide on it.
 */
export async function countyReviewWorkflow(input: CountyReviewInput): Promise<ReviewProgress> {
  let state = openReview(input.cycleId, input.jurisdiction, input.items);
  const lock = new SerialLock();
  const where = { cycleId: input.cycleId, jurisdiction: input.jurisdiction, openingItems: input.items };

  const progress = (): ReviewProgress => {
    const count = { approved: 0, rejected: 0, excluded: 0 };
    for (const verdict of state.verdicts.values()) count[verdict]++;
    const { cycleId, jurisdiction, items, submitted } = state;
    return { cycleId, jurisdiction, items, ...count, undecided: undecidedCount(state), submitted };
  };
  // The handler decides again under the lock: an Update validated before another one ran may no longer hold.
  const decided = (command: ReviewCommand): ReviewDecided[] => {
    try {
      return decideReview(state, command);
    } catch (error) {
      if (error instanceof ReviewRefused) throw ApplicationFailure.nonRetryable(error.message, 'ReviewRefused');
      throw error;
    }
  };
  const apply = (events: readonly ReviewEvent[]) => {
    for (const event of events) state = evolveReview(state, event);
  };
  const recordDecision = async (request: ReviewDecision) => {
    const events = decided({ kind: 'decide_items', request });
    const { decisionNo, resolvedCount } = (events[0] as Extract<ReviewDecided, { type: 'ReviewDecisionRecorded' }>)
      .data;
    await recordReviewDecision({ ...where, request, resolvedCount, decisionNo });
    apply(events);
  };
  const submit = async (actor: Actor) => {
    const events = decided({ kind: 'submit', actor });
    await submitReview({ ...where, actor });
    apply(events);
  };

  // The UI's current details (Chinese counts), refreshed after every change.
  const reported = (): ReviewProgress => {
    const p = progress();
    setCurrentDetails(reviewDetailsZh(p));
    return p;
  };
  setHandler(reviewProgressQuery, progress);

  setHandler(
    decideItemsUpdate,
    (request: ReviewDecision) =>
      lock.run(async () => {
        await recordDecision(request);
        return reported();
      }),
    { validator: (request: ReviewDecision) => void decideReview(state, { kind: 'decide_items', request }) },
  );

  setHandler(
    addSelfApplicationUpdate,
    ({ applicationId, actor }) =>
      lock.run(async () => {
        const added = await addSelfApplication({
          cycleId: input.cycleId,
          jurisdiction: input.jurisdiction,
          applicationId,
          actor,
          nextSeq: state.items + 1,
        });
        apply([{ type: 'SelfApplicationComputed', data: { item: added.seq === null ? null : { seq: added.seq } } }]);
        return { ...reported(), seq: added.seq };
      }),
    { validator: ({ actor }) => void decideReview(state, { kind: 'add_self_application', actor }) },
  );

  setHandler(
    submitReviewUpdate,
    ({ actor }) =>
      lock.run(async () => {
        await submit(actor);
        return reported();
      }),
    { validator: ({ actor }) => void decideReview(state, { kind: 'submit', actor }) },
  );

  upsertSearchAttributes([{ key: STAGE, value: 'review' }]);
  reported();

  if (input.autoApprove) {
    const actor: Actor = { subject: 'system:auto-approve', role: 'county_reviewer', jurisdiction: input.jurisdiction };
    await lock.run(async () => {
      await recordDecision({
        decision: 'approve',
        selection: { scope: 'all_undecided' },
        actor,
        note: 'unattended run (--auto-approve)',
      });
      await submit(actor);
      reported();
    });
  } else {
    // Remind at the review deadline, escalate to the city health commission later, then keep waiting:
    // payment needs the county's decision, and a person must take it.
    const reminded = await doneBefore(() => state.submitted, input.remindAt);
    if (!reminded) {
      await recordCycleEvent({
        cycleId: input.cycleId,
        type: 'ReviewReminderSent',
        key: input.jurisdiction,
        data: { jurisdiction: input.jurisdiction, deadline: input.remindAt },
      });
      const escalated = await doneBefore(() => state.submitted, input.escalateAt);
      if (!escalated) {
        await recordCycleEvent({
          cycleId: input.cycleId,
          type: 'ReviewEscalated',
          key: input.jurisdiction,
          data: { jurisdiction: input.jurisdiction, to: 'city_health_commission' },
        });
        await condition(() => state.submitted);
      }
    }
  }
  await condition(allHandlersFinished);
  return progress();
}
