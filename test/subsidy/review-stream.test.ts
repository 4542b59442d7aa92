import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideOnStream, eventIdFor, type NewEvent } from '../../platform/eventstore';
import { recordReviewDecision, submitReview } from '../../subsidy/activities/review';
import type { Actor, ReviewDecision } from '../../subsidy/contracts/definitions';
import { streams } from '../../subsidy/contracts/events';
import { decideReview, evolveReview, openReview, type ReviewState } from '../../subsidy/decide/review';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// A county review decides from its own events: the same decide/evolve serve the workflow's validators and the
// activities, which fold the stream, decide and append at the version they saw. No workflow runs here (cycle ids
// are made up, no quarter is claimed).
const reviewer: Actor = { subject: 'reviewer-411002', role: 'county_reviewer', jurisdiction: '411002' };
const approveAll: ReviewDecision = { decision: 'approve', selection: { scope: 'all_undecided' }, actor: reviewer };

describe('decide and evolve (pure)', () => {
  const fold = (state: ReviewState, request: ReviewDecision) =>
    decideReview(state, { kind: 'decide_items', request }).reduce(evolveReview, state);

  it('a selection of all undecided items but some, then those: every item decided once, then submit', () => {
    let state = openReview('c', '411002', 5);
    state = fold(state, { ...approveAll, selection: { scope: 'all_undecided', except: [2] } });
    expect([...state.verdicts.keys()].sort()).toEqual([1, 3, 4, 5]);
    expect(() => decideReview(state, { kind: 'submit', actor: reviewer })).toThrow('1 item(s) are still undecided');
    state = fold(state, { decision: 'reject', selection: { scope: 'items', seqs: [2] }, actor: reviewer, reason: 'x' });
    expect(state.verdicts.get(2)).toBe('rejected');
    const submitted = decideReview(state, { kind: 'submit', actor: reviewer }).reduce(evolveReview, state);
    expect(() => decideReview(submitted, { kind: 'decide_items', request: approveAll })).toThrow('already submitted');
  });

  it('refuses another county, unknown items, a rejection without reason', () => {
    const state = openReview('c', '411002', 3);
    const other = { ...reviewer, jurisdiction: '411003' };
    expect(() => decideReview(state, { kind: 'submit', actor: other })).toThrow('may not review 411002');
    const unknownItem = { ...approveAll, selection: { scope: 'items' as const, seqs: [4] } };
    expect(() => decideReview(state, { kind: 'decide_items', request: unknownItem })).toThrow('unknown item 4');
    const noReason: ReviewDecision = {
      decision: 'reject',
      selection: approveAll.selection,
      actor: reviewer,
      reason: ' ',
    };
    expect(() => decideReview(state, { kind: 'decide_items', request: noReason })).toThrow('needs a reason');
  });
});

describe('the activities decide on the stream (real PostgreSQL)', () => {
  let world: SubsidyTestWorld;
  beforeAll(async () => {
    world = await createSubsidyWorld('review_stream');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('records a decision once however often it is retried, and refuses a submit the stream refuses', async () => {
    const where = { cycleId: 'review-stream-1', jurisdiction: '411002', openingItems: 4 };
    const decision = { ...where, request: approveAll, decisionNo: 1, resolvedCount: 4 };
    await recordReviewDecision(world.deps, decision);
    await recordReviewDecision(world.deps, decision);
    const events = await world.deps.store.readStream(streams.review(where.cycleId, where.jurisdiction));
    expect(events.map((e) => [e.type, e.data.resolvedCount])).toEqual([['ReviewDecisionRecorded', 4]]);

    const other = { cycleId: 'review-stream-2', jurisdiction: '411002', openingItems: 4 };
    const refused = await submitReview(world.deps, { ...other, actor: reviewer }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ nonRetryable: true, message: '4 item(s) are still undecided' });

    await submitReview(world.deps, { ...where, actor: reviewer });
    await submitReview(world.deps, { ...where, actor: reviewer });
    const after = await world.deps.store.readStream(streams.review(where.cycleId, where.jurisdiction));
    expect(after.map((e) => e.type)).toEqual(['ReviewDecisionRecorded', 'ReviewSubmitted']);
  });

  it('a writer that decided on an old version fails on it, reads again, decides again: both events land', async () => {
    const stream = 'decide-on-stream-test';
    const count = { initial: 0, evolve: (n: number) => n + 1 };
    let decisions = 0;
    // Each writer names its own event, so the second is no idempotent repeat of the first.
    const writer = (name: string) => ({
      ...count,
      decide: (n: number): NewEvent[] => {
        decisions++;
        return [{ eventId: eventIdFor('decide-on-stream', name, n), type: 'Counted', data: { n } }];
      },
    });
    // Writer a appends while writer b holds its first read: b's append at the old version must fail and retry.
    const store = world.deps.store;
    let raced = false;
    const slowReader = Object.create(store) as typeof store;
    slowReader.readStream = async (id: string) => {
      const seen = await store.readStream(id);
      if (!raced) {
        raced = true;
        await decideOnStream(store, stream, writer('a'), { actor: 'test' });
      }
      return seen;
    };
    await decideOnStream(slowReader, stream, writer('b'), { actor: 'test' });
    const events = await world.deps.store.readStream(stream);
    expect(events.map((e) => e.data.n)).toEqual([0, 1]);
    expect(decisions).toBe(3);
  });
});
