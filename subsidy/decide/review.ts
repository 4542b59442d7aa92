import { type Actor, EXCLUSION_CODES, type ReviewDecision, type Selection } from '../contracts/definitions';
import type { SubsidyEvent } from '../contracts/events';

// A county review's stream (`streams.review`), decided from its own events: `evolveReview` folds them into the
// state, `decideReview` turns a command into the next events or refuses it. The workflow's Update validators
// decide on the state the workflow holds; the activities fold the stream itself and append with the version
// they decided on (platform/eventstore/decide.ts). Pure and deterministic: workflow code imports it.

export type Verdict = 'approved' | 'rejected' | 'excluded';

export interface ReviewState {
  cycleId: string;
  jurisdiction: string;
  /** Items under review: those the cycle opened the review with, then self-applications (numbered on). */
  items: number;
  verdicts: ReadonlyMap<number, Verdict>;
  /** The number of the last recorded decision. */
  decisions: number;
  submitted: boolean;
}

export type ReviewCommand =
  | { kind: 'decide_items'; request: ReviewDecision }
  | { kind: 'add_self_application'; actor: Actor }
  | { kind: 'submit'; actor: Actor };

type EventOf<T extends SubsidyEvent['type']> = Extract<SubsidyEvent, { type: T }>;
type DecisionRecorded = EventOf<'ReviewDecisionRecorded'>;

/** What the review decides; the approved sums of ReviewSubmitted come from the entitlements, added by the activity. */
export type ReviewDecided =
  | DecisionRecorded
  | { type: 'ReviewSubmitted'; data: Omit<EventOf<'ReviewSubmitted'>['data'], 'approved' | 'approvedFen'> };

/** Every event of the stream, as far as the review's state needs it. */
export type ReviewEvent = ReviewDecided | { type: 'SelfApplicationComputed'; data: { item: { seq: number } | null } };

export class ReviewRefused extends Error {
  override name = 'ReviewRefused';
}

export function openReview(cycleId: string, jurisdiction: string, items: number): ReviewState {
  return { cycleId, jurisdiction, items, verdicts: new Map(), decisions: 0, submitted: false };
}

const VERDICT_OF: Record<ReviewDecision['decision'], Verdict> = {
  approve: 'approved',
  reject: 'rejected',
  exclude: 'excluded',
};

/** The item numbers a selection names: its items, or every undecided item but the exceptions. */
export function selectedItems(state: ReviewState, selection: Selection): number[] {
  if (selection.scope === 'items') return [...new Set(selection.seqs)];
  const except = new Set(selection.except ?? []);
  const out: number[] = [];
  for (let seq = 1; seq <= state.items; seq++) if (!state.verdicts.has(seq) && !except.has(seq)) out.push(seq);
  return out;
}

export function evolveReview(state: ReviewState, event: ReviewEvent): ReviewState {
  switch (event.type) {
    case 'ReviewDecisionRecorded': {
      const verdicts = new Map(state.verdicts);
      for (const seq of selectedItems(state, event.data.selection)) verdicts.set(seq, VERDICT_OF[event.data.decision]);
      return { ...state, verdicts, decisions: event.data.decisionNo };
    }
    case 'SelfApplicationComputed':
      return event.data.item ? { ...state, items: Math.max(state.items, event.data.item.seq) } : state;
    case 'ReviewSubmitted':
      return { ...state, submitted: true };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export function undecidedCount(state: ReviewState): number {
  return state.items - state.verdicts.size;
}

/** Only a reviewer of the county decides, and only until the review is submitted. */
function checkReviewer(state: ReviewState, actor: Actor): void {
  if (actor.role !== 'county_reviewer' || actor.jurisdiction !== state.jurisdiction) {
    const of = actor.jurisdiction ? ` of ${actor.jurisdiction}` : '';
    throw new ReviewRefused(`actor ${actor.subject} (${actor.role}${of}) may not review ${state.jurisdiction}`);
  }
  if (state.submitted) throw new ReviewRefused(`the review of ${state.jurisdiction} was already submitted`);
}

function checkSelection(state: ReviewState, selection: Selection): void {
  const seqs = selection.scope === 'items' ? selection.seqs : (selection.except ?? []);
  if (selection.scope === 'items' && seqs.length === 0) throw new ReviewRefused('the selection names no item');
  const unknown = seqs.find((seq) => !Number.isInteger(seq) || seq < 1 || seq > state.items);
  if (unknown !== undefined)
    throw new ReviewRefused(`unknown item ${unknown}: this review has items 1..${state.items}`);
}

function reasonOf(request: ReviewDecision): string | null {
  if (request.decision === 'reject') return request.reason;
  if (request.decision === 'exclude') return request.reason ?? null;
  return request.note ?? null;
}

/** The event that records a decision on `resolvedCount` items. */
export function decisionRecorded(
  review: { cycleId: string; jurisdiction: string },
  request: ReviewDecision,
  decisionNo: number,
  resolvedCount: number,
): DecisionRecorded {
  const data: DecisionRecorded['data'] = {
    cycleId: review.cycleId,
    jurisdiction: review.jurisdiction,
    decisionNo,
    decision: request.decision,
    selection: request.selection,
    reason: reasonOf(request),
    exclusionCode: request.decision === 'exclude' ? request.exclusionCode : null,
    actor: request.actor,
    resolvedCount,
  };
  return { type: 'ReviewDecisionRecorded', data };
}

/** The events a command makes on this state (none for a self-application: its activity computes the item). */
export function decideReview(state: ReviewState, command: ReviewCommand): ReviewDecided[] {
  switch (command.kind) {
    case 'decide_items': {
      const { request } = command;
      checkReviewer(state, request.actor);
      checkSelection(state, request.selection);
      if (request.decision === 'reject' && !request.reason?.trim())
        throw new ReviewRefused('a rejection needs a reason');
      if (request.decision === 'exclude' && !EXCLUSION_CODES.includes(request.exclusionCode)) {
        const codes = EXCLUSION_CODES.join(', ');
        throw new ReviewRefused(`unknown exclusion code ${String(request.exclusionCode)} (第七条: ${codes})`);
      }
      const resolvedCount = selectedItems(state, request.selection).length;
      return [decisionRecorded(state, request, state.decisions + 1, resolvedCount)];
    }
    case 'add_self_application':
      checkReviewer(state, command.actor);
      return [];
    case 'submit': {
      checkReviewer(state, command.actor);
      const undecided = undecidedCount(state);
      if (undecided > 0) throw new ReviewRefused(`${undecided} item(s) are still undecided`);
      const { cycleId, jurisdiction } = state;
      return [{ type: 'ReviewSubmitted', data: { cycleId, jurisdiction, actor: command.actor } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}
