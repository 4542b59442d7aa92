import {
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
  EXCLUSION_CODES,
  type ReviewDecision,
  type ReviewProgress,
  reviewProgressQuery,
  type Selection,
  submitReviewUpdate,
} from '../contracts/definitions';
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

type Verdict = 'approved' | 'rejected' | 'excluded';

/**
 * County review (第十条 step 2): the county's reviewers approve, reject or exclude items by
 * selection — "approve all except these" is one request however many items there are — enter
 * self-applications of uninsured people (第七条), and submit. Every decision is an event written by
 * an activity; this workflow keeps only a verdict per item number, to validate the next request.
 */
export async function countyReviewWorkflow(input: CountyReviewInput): Promise<ReviewProgress> {
  let items = input.items;
  const verdicts = new Map<number, Verdict>();
  let submitted = false;
  let decisions = 0;
  const lock = new SerialLock();

  const progress = (): ReviewProgress => {
    let approved = 0;
    let rejected = 0;
    let excluded = 0;
    for (const v of verdicts.values()) {
      if (v === 'approved') approved++;
      else if (v === 'rejected') rejected++;
      else excluded++;
    }
    return {
      cycleId: input.cycleId,
      jurisdiction: input.jurisdiction,
      items,
      approved,
      rejected,
      excluded,
      undecided: items - verdicts.size,
      submitted,
    };
  };

  const checkActor = (actor: Actor) => {
    if (actor.role !== 'county_reviewer' || actor.jurisdiction !== input.jurisdiction) {
      throw new Error(
        `actor ${actor.subject} (${actor.role}${actor.jurisdiction ? ` of ${actor.jurisdiction}` : ''}) may not review ${input.jurisdiction}`,
      );
    }
    if (submitted) throw new Error(`the review of ${input.jurisdiction} was already submitted`);
  };
  const checkSelection = (selection: Selection) => {
    const seqs = selection.scope === 'items' ? selection.seqs : (selection.except ?? []);
    if (selection.scope === 'items' && seqs.length === 0) throw new Error('the selection names no item');
    const unknown = seqs.find((s) => !Number.isInteger(s) || s < 1 || s > items);
    if (unknown !== undefined) throw new Error(`unknown item ${unknown}: this review has items 1..${items}`);
  };
  const selected = (selection: Selection): number[] => {
    if (selection.scope === 'items') return [...new Set(selection.seqs)];
    const except = new Set(selection.except ?? []);
    const out: number[] = [];
    for (let seq = 1; seq <= items; seq++) if (!verdicts.has(seq) && !except.has(seq)) out.push(seq);
    return out;
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
        const seqs = selected(request.selection);
        const verdict: Verdict =
          request.decision === 'approve' ? 'approved' : request.decision === 'reject' ? 'rejected' : 'excluded';
        await recordReviewDecision({
          cycleId: input.cycleId,
          jurisdiction: input.jurisdiction,
          request,
          resolvedCount: seqs.length,
          decisionNo: ++decisions,
        });
        for (const seq of seqs) verdicts.set(seq, verdict);
        return reported();
      }),
    {
      validator: (request: ReviewDecision) => {
        checkActor(request.actor);
        checkSelection(request.selection);
        if (request.decision === 'reject' && !request.reason?.trim()) throw new Error('a rejection needs a reason');
        if (request.decision === 'exclude' && !EXCLUSION_CODES.includes(request.exclusionCode)) {
          throw new Error(
            `unknown exclusion code ${String(request.exclusionCode)} (第七条: ${EXCLUSION_CODES.join(', ')})`,
          );
        }
      },
    },
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
          nextSeq: items + 1,
        });
        if (added.seq !== null) items = added.seq;
        return { ...reported(), seq: added.seq };
      }),
    { validator: ({ actor }) => checkActor(actor) },
  );

  setHandler(
    submitReviewUpdate,
    ({ actor }) =>
      lock.run(async () => {
        await submitReview({ cycleId: input.cycleId, jurisdiction: input.jurisdiction, actor });
        submitted = true;
        return reported();
      }),
    {
      validator: ({ actor }) => {
        checkActor(actor);
        const undecided = items - verdicts.size;
        if (undecided > 0) throw new Error(`${undecided} item(s) are still undecided`);
      },
    },
  );

  upsertSearchAttributes([{ key: STAGE, value: 'review' }]);
  reported();

  if (input.autoApprove) {
    const actor: Actor = { subject: 'system:auto-approve', role: 'county_reviewer', jurisdiction: input.jurisdiction };
    await lock.run(async () => {
      const request: ReviewDecision = {
        decision: 'approve',
        selection: { scope: 'all_undecided' },
        actor,
        note: 'unattended run (--auto-approve)',
      };
      const seqs = selected(request.selection);
      await recordReviewDecision({
        cycleId: input.cycleId,
        jurisdiction: input.jurisdiction,
        request,
        resolvedCount: seqs.length,
        decisionNo: ++decisions,
      });
      for (const seq of seqs) verdicts.set(seq, 'approved');
      await submitReview({ cycleId: input.cycleId, jurisdiction: input.jurisdiction, actor });
      submitted = true;
      reported();
    });
  } else {
    // Remind at the review deadline, escalate to the city health commission later, then keep waiting:
    // payment needs the county's decision, and a person must take it.
    const reminded = await doneBefore(() => submitted, input.remindAt);
    if (!reminded) {
      await recordCycleEvent({
        cycleId: input.cycleId,
        type: 'ReviewReminderSent',
        key: input.jurisdiction,
        data: { jurisdiction: input.jurisdiction, deadline: input.remindAt },
      });
      const escalated = await doneBefore(() => submitted, input.escalateAt);
      if (!escalated) {
        await recordCycleEvent({
          cycleId: input.cycleId,
          type: 'ReviewEscalated',
          key: input.jurisdiction,
          data: { jurisdiction: input.jurisdiction, to: 'city_health_commission' },
        });
        await condition(() => submitted);
      }
    }
  }
  await condition(allHandlersFinished);
  return progress();
}
