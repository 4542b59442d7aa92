import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { STAGE } from '../../platform/temporal/search-attributes';
import { withSummaries } from '../../platform/temporal/summaries';
import type { HousingActivities } from '../activities';
import {
  addFundsUpdate,
  admittedSignal,
  FINANCE_ROLES,
  fallbackAnsweredSignal,
  type PlanInput,
  type PlanState,
  planStateQuery,
  requestAdmissionSignal,
  requestFallbackSignal,
  settleSignal,
} from '../contracts/definitions';
import { addFunds, admitInTurn, fallbackToCapital, NO_FUNDS, release, spend } from '../rules/plan';
import { HOUSING_ACTIVITY_SUMMARIES, planDetailsZh } from './summaries';

const { recordPlanFunds } = withSummaries(
  proxyActivities<HousingActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  }),
  HOUSING_ACTIVITY_SUMMARIES,
);

// Well below Temporal's 2,000 pending signals per workflow (500 advised), and a history that stays short.
const SIGNALS_IN_FLIGHT = 200;
const HISTORY_LIMIT = 4_000;

type Outgoing =
  | { kind: 'admitted'; workflowId: string; listingId: string }
  | {
      kind: 'fallback';
      workflowId: string;
      answer: { granted: boolean; reason: string; funding?: { capitalFen: number; loanFen: number } };
    };

/**
 * The purchase plan (组织实施(一)(二)(三)): one long-running coordinator in which every screened
 * listing waits durably for its turn. Listings go first by priority (owner share above 80 %, then
 * unmet demand, then arrival), and only while capital (异地建设费) and loan capacity cover them.
 * Admission decisions are recorded by the listings themselves; funds received are recorded here.
 */
export async function housingPurchasePlanWorkflow(input: PlanInput): Promise<void> {
  const state: PlanState = input.state ?? {
    planId: input.planId,
    funds: NO_FUNDS,
    capitalFallbackAllowed: input.capitalFallbackAllowed ?? true,
    queue: [],
    reserved: {},
    nextSeq: 1,
    fundReferences: [],
    admittedTotal: 0,
    settledTotal: 0,
  };
  let dirty = true;
  const outbox: Outgoing[] = [];
  let inFlight = 0;
  upsertSearchAttributes([{ key: STAGE, value: 'running' }]);
  setHandler(planStateQuery, () => state);

  setHandler(requestAdmissionSignal, (request) => {
    const reserved = state.reserved[request.listingId];
    // A repeated request (a retried signal) gets the same answer; a queued one keeps its place.
    if (reserved) outbox.push({ kind: 'admitted', workflowId: reserved.workflowId, listingId: request.listingId });
    else if (!state.queue.some((q) => q.listingId === request.listingId)) {
      state.queue.push({ ...request, seq: state.nextSeq++ });
      dirty = true;
    }
  });

  setHandler(requestFallbackSignal, ({ listingId, refusedLoanFen }) => {
    const reserved = state.reserved[listingId];
    if (!reserved) return;
    const decision = fallbackToCapital(state.funds, reserved.funding, refusedLoanFen, state.capitalFallbackAllowed);
    if (decision.granted) {
      state.funds = decision.funds;
      reserved.funding = decision.funding;
    }
    const answer = decision.granted
      ? { granted: true, reason: '组织实施(一): capital replaces the refused loan', funding: decision.funding }
      : { granted: false, reason: decision.reason };
    outbox.push({ kind: 'fallback', workflowId: reserved.workflowId, answer });
  });

  setHandler(settleSignal, ({ listingId, outcome, actual }) => {
    const reserved = state.reserved[listingId];
    if (!reserved) return;
    state.funds =
      outcome === 'spent' && actual
        ? spend(state.funds, reserved.funding, actual)
        : release(state.funds, reserved.funding);
    delete state.reserved[listingId];
    state.settledTotal++;
    dirty = true;
  });

  setHandler(
    addFundsUpdate,
    async (funds) => {
      await recordPlanFunds({ planId: state.planId, funds });
      state.funds = addFunds(state.funds, funds.source, funds.amountFen);
      state.fundReferences.push(`${funds.source}:${funds.reference}`);
      dirty = true;
      return state;
    },
    {
      validator: (funds) => {
        if (!(FINANCE_ROLES as readonly string[]).includes(funds.actor.role))
          throw new Error(`${funds.actor.subject} (${funds.actor.role}) may not record funds`);
        if (!Number.isSafeInteger(funds.amountFen) || funds.amountFen <= 0)
          throw new Error('funds are a positive whole number of fen');
        if (!funds.reference.trim()) throw new Error('funds need a reference (the receipt or credit line)');
        if (state.fundReferences.includes(`${funds.source}:${funds.reference}`))
          throw new Error(`${funds.source} ${funds.reference} is already recorded`);
      },
    },
  );

  const deliver = async (message: Outgoing) => {
    const listing = getExternalWorkflowHandle(message.workflowId);
    try {
      if (message.kind === 'admitted') {
        const reserved = state.reserved[message.listingId];
        if (reserved) await listing.signal(admittedSignal, { funding: reserved.funding });
      } else await listing.signal(fallbackAnsweredSignal, message.answer);
    } catch {
      // The listing has ended meanwhile: what was reserved for it goes back to the plan.
      if (message.kind === 'admitted') {
        const reserved = state.reserved[message.listingId];
        if (reserved) state.funds = release(state.funds, reserved.funding);
        delete state.reserved[message.listingId];
        dirty = true;
      }
    }
  };

  const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT;
  for (;;) {
    // Every clause waits for something to change: a predicate that stayed true would spin without yielding.
    await condition(
      () => dirty || (outbox.length > 0 && inFlight < SIGNALS_IN_FLIGHT) || (historyFull() && outbox.length === 0),
    );
    if (dirty) {
      dirty = false;
      const round = admitInTurn(state.queue, state.funds);
      state.funds = round.funds;
      state.queue = round.waiting;
      for (const { request, funding } of round.admitted) {
        state.reserved[request.listingId] = { workflowId: request.workflowId, funding };
        state.admittedTotal++;
        outbox.push({ kind: 'admitted', workflowId: request.workflowId, listingId: request.listingId });
      }
      setCurrentDetails(planDetailsZh(state));
    }
    // Answers go out without holding up the next round: a slow delivery never delays an admission.
    for (const message of outbox.splice(0, SIGNALS_IN_FLIGHT - inFlight)) {
      inFlight++;
      void deliver(message).finally(() => inFlight--);
    }
    if (historyFull() && outbox.length === 0) {
      await condition(() => inFlight === 0 && allHandlersFinished());
      // A new run starts by admitting what fits, so only undelivered answers would be lost here.
      if (outbox.length === 0) await continueAsNew<typeof housingPurchasePlanWorkflow>({ planId: state.planId, state });
    }
  }
}
