import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { LISTING_KIND, REGION, STAGE } from '../../platform/temporal/search-attributes';
import { SerialLock } from '../../platform/temporal/serial-lock';
import { withSummaries } from '../../platform/temporal/summaries';
import type { HousingActivities } from '../activities';
import {
  admittedSignal,
  decideApprovalUpdate,
  decideAreaExceptionUpdate,
  decideCaseByCaseUpdate,
  fallbackAnsweredSignal,
  fileSurveyReportUpdate,
  type HousingActor,
  type ListingInput,
  type ListingOutcome,
  type ListingProgress,
  type ListingStage,
  type ListingTiming,
  listingProgressQuery,
  reissueSellerPaymentUpdate,
  requestAdmissionSignal,
  requestFallbackSignal,
  type ScreeningDecisionInput,
  SURVEY_ROLES,
  type SurveyReportInput,
  settleSignal,
  submitAppraisalUpdate,
  submitOfferUpdate,
  TASK_FORCE_ROLES,
  unwindPurchaseUpdate,
} from '../contracts/definitions';
import type { ListingOutcomeKind } from '../contracts/events';
import {
  appraisalCommissioned,
  checkRole,
  decideListing,
  evolveListing,
  type ListingCommand,
  type ListingDecided,
  ListingRefused,
  negotiationOpened,
  openListing,
} from '../decide/listing';
import type { Funding } from '../rules/price';
import type { PendingDecision } from '../rules/types';
import { HOUSING_ACTIVITY_SUMMARIES, listingDetailsZh } from './summaries';

// Bookkeeping steps: quick database appends (and the appraisal firm's answer), run as local
// activities — one marker in the history each, no round trip through the server's task queues —
// retried patiently; refusals (an offer above the cap, four eyes) are not retried.
// Each carries its Chinese summary for the UI (metadata: replay matches commands without it).
const steps = withSummaries(
  proxyLocalActivities<HousingActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  }),
  HOUSING_ACTIVITY_SUMMARIES,
);
// Steps that wait on another organisation (registry, lending bank, payment gateway): they poll and heartbeat.
const outside = withSummaries(
  proxyActivities<HousingActivities>({
    startToCloseTimeout: '7 days',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  }),
  HOUSING_ACTIVITY_SUMMARIES,
);

const DEFAULT_TIMING: Required<ListingTiming> = {
  decisionReminder: '7 days',
  decisionDeadline: '23 days',
  surveyReminderEvery: '3 days',
  surveyMaxReminders: 5,
  negotiationDeadline: '60 days',
  pollIntervalMs: 2_000,
};

/** A failure no retry can fix (a non-retryable ApplicationFailure inside an activity failure): its message. */
function permanentFailure(error: unknown): string | undefined {
  // The activity's own failure may come wrapped (ActivityFailure) or as is: look down the chain.
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && cause.nonRetryable) return cause.message;
  }
  return undefined;
}

/**
 * One home, from listing to handover (许政办〔2025〕10号): screening, its turn in the purchase plan,
 * survey, appraisal, negotiation under the price cap with a second person's approval, contract,
 * registration and loan, the seller's payment, handover. People act through Updates; every step is
 * an event written by an activity; a refused loan or a failed registration is compensated like a saga.
 */
export async function housingListingWorkflow(input: ListingInput): Promise<ListingOutcome> {
  const { listingId } = input;
  const timing = { ...DEFAULT_TIMING, ...input.timing };
  const progress: ListingProgress = { listingId, stage: 'screening', pendingDecisions: [], offers: 0 };
  const stage = (next: ListingStage) => {
    progress.stage = next;
    upsertSearchAttributes([{ key: STAGE, value: next }]);
    setCurrentDetails(listingDetailsZh(progress));
  };
  upsertSearchAttributes([
    { key: LISTING_KIND, value: input.kind },
    { key: REGION, value: input.region },
  ]);
  const plan = getExternalWorkflowHandle(input.planWorkflowId);
  const lock = new SerialLock();
  // The people's decisions, folded from the same events the activities append (housing/decide/listing.ts).
  let decisions = openListing(listingId);
  const decide = (command: ListingCommand): ListingDecided[] => {
    try {
      return decideListing(decisions, command);
    } catch (error) {
      // Decided again under the lock: an Update validated before another one ran may no longer hold.
      if (error instanceof ListingRefused) throw ApplicationFailure.nonRetryable(error.message, error.code);
      throw error;
    }
  };
  const apply = (events: readonly ListingDecided[]) => {
    for (const event of events) decisions = evolveListing(decisions, event);
    progress.offers = decisions.offers;
    progress.agreed = decisions.agreed;
  };
  let survey: SurveyReportInput | undefined;
  let fallback: { granted: boolean; reason: string; funding?: Funding } | undefined;
  let firmCap: { capFen: number; appraisalFen: number; askingFen: number } | undefined;
  let resolution: { kind: 'reissue'; attempt: number } | { kind: 'unwind'; reason: string; by: string } | undefined;

  setHandler(listingProgressQuery, () => progress);
  setHandler(admittedSignal, ({ funding }) => {
    progress.funding ??= funding;
  });
  setHandler(fallbackAnsweredSignal, (answer) => {
    fallback ??= answer;
  });

  // --- screening decisions (组织实施(一)(二)) ---
  const screeningDecision = (decision: PendingDecision) => ({
    handler: ({ actor, granted, reason }: ScreeningDecisionInput) =>
      lock.run(async () => {
        const events = decide({ kind: 'screening_decision', decision, actor, granted, reason });
        await steps.recordScreeningDecision({ listingId, decision, granted, reason, actor });
        apply(events);
        return progress;
      }),
    validator: ({ actor, granted, reason }: ScreeningDecisionInput) => {
      checkRole(actor, TASK_FORCE_ROLES, 'decide on screening');
      if (progress.stage !== 'awaiting_decision' || !progress.pendingDecisions.includes(decision))
        throw new Error(`${listingId} awaits no ${decision} decision`);
      decideListing(decisions, { kind: 'screening_decision', decision, actor, granted, reason });
    },
  });
  const area = screeningDecision('area_exception');
  setHandler(decideAreaExceptionUpdate, area.handler, { validator: area.validator });
  const caseByCase = screeningDecision('case_by_case');
  setHandler(decideCaseByCaseUpdate, caseByCase.handler, { validator: caseByCase.validator });

  // --- survey (组织实施(四): 实地勘验) ---
  setHandler(
    fileSurveyReportUpdate,
    (report) =>
      lock.run(async () => {
        const events = decide({ kind: 'survey', ...report });
        await steps.recordSurvey({ listingId, ...report });
        apply(events);
        survey = report;
        return progress;
      }),
    {
      validator: (report) => {
        checkRole(report.actor, SURVEY_ROLES, 'file a survey report');
        if (progress.stage !== 'survey' || survey) throw new Error(`${listingId} awaits no survey report`);
        decideListing(decisions, { kind: 'survey', ...report });
      },
    },
  );

  // --- negotiation (工作任务(三): the appraisal is the upper limit) and four-eyes approval ---
  setHandler(
    submitOfferUpdate,
    ({ actor, priceFen, sellerAccepted }) =>
      lock.run(async () => {
        const events = decide({ kind: 'offer', actor, priceFen, sellerAccepted });
        const { offerNo } = (events[0] as Extract<ListingDecided, { type: 'OfferMade' }>).data;
        await steps.recordOffer({ listingId, offerNo, priceFen, sellerAccepted, actor });
        apply(events);
        setCurrentDetails(listingDetailsZh(progress));
        return progress;
      }),
    {
      validator: ({ actor, priceFen, sellerAccepted }) => {
        checkRole(actor, TASK_FORCE_ROLES, 'negotiate');
        if (progress.stage !== 'negotiation') throw new Error(`${listingId} is not in negotiation`);
        decideListing(decisions, { kind: 'offer', actor, priceFen, sellerAccepted });
      },
    },
  );
  setHandler(
    decideApprovalUpdate,
    ({ actor, approved: yes, reason }) =>
      lock.run(async () => {
        const events = decide({ kind: 'approval', actor, approved: yes, reason });
        const { offerNo, priceFen, negotiator } = (
          events[0] as Extract<ListingDecided, { type: 'PriceApprovalDecided' }>
        ).data;
        await steps.recordApproval({ listingId, offerNo, priceFen, negotiator, approved: yes, reason, actor });
        apply(events);
        return progress;
      }),
    {
      validator: ({ actor, approved: yes, reason }) => {
        checkRole(actor, TASK_FORCE_ROLES, 'approve a price');
        if (progress.stage !== 'negotiation') throw new Error(`${listingId} has no agreed price awaiting approval`);
        // Four eyes (保障措施(三)) among the rules decided there.
        decideListing(decisions, { kind: 'approval', actor, approved: yes, reason });
      },
    },
  );

  // --- the appraisal by the commissioned firm (工作任务(三)) ---
  setHandler(
    submitAppraisalUpdate,
    (report) =>
      lock.run(async () => {
        firmCap = await steps.submitAppraisal({ listingId, ...report });
        return progress;
      }),
    {
      validator: ({ actor, valueFen, marketRentFen, reportRef }) => {
        checkRole(actor, ['appraiser'], 'submit an appraisal');
        if (progress.stage !== 'appraisal' || firmCap) throw new Error(`${listingId} awaits no appraisal`);
        decideListing(decisions, { kind: 'appraisal', actor, valueFen, marketRentFen, reportRef });
      },
    },
  );

  // --- a held seller payment: re-issue to a corrected account, or unwind (a person decides, recorded) ---
  const awaitingResolution = (actor: HousingActor, reason: string) => {
    checkRole(actor, TASK_FORCE_ROLES, 'resolve a held seller payment');
    if (progress.stage !== 'payment_held' || resolution) throw new Error(`${listingId} has no held seller payment`);
    if (!reason.trim()) throw new Error('a decision needs its reason');
  };
  setHandler(
    reissueSellerPaymentUpdate,
    ({ actor, accountRef, accountMask, reason }) =>
      lock.run(async () => {
        const attempt = (progress.payment?.attempt ?? 1) + 1;
        // Asks the bank first: an earlier attempt settled or still open refuses the re-issue (the Update fails, nothing changes).
        await steps.decideSellerPayment({
          listingId,
          decision: 'reissue',
          attempt,
          accountRef,
          accountMask,
          reason,
          actor,
        });
        resolution = { kind: 'reissue', attempt };
        return progress;
      }),
    { validator: ({ actor, reason }) => awaitingResolution(actor, reason) },
  );
  setHandler(
    unwindPurchaseUpdate,
    ({ actor, reason }) =>
      lock.run(async () => {
        await steps.decideSellerPayment({ listingId, decision: 'unwind', reason, actor });
        resolution = { kind: 'unwind', reason, by: actor.subject };
        return progress;
      }),
    { validator: ({ actor, reason }) => awaitingResolution(actor, reason) },
  );

  const finish = async (
    outcome: ListingOutcomeKind,
    reasons: string[],
    released?: Funding,
  ): Promise<ListingOutcome> => {
    await steps.closeListing({ listingId, outcome, reasons, ...(released ? { released } : {}) });
    if (released) await plan.signal(settleSignal, { listingId, outcome: 'released' });
    stage(outcome);
    progress.outcome = { listingId, outcome, reasons };
    await condition(allHandlersFinished);
    return progress.outcome;
  };

  // 1. Screening.
  stage('screening');
  let screening = await steps.screenListing({ listingId, expired: false });
  if (screening.verdict === 'pending') {
    progress.pendingDecisions = screening.pending;
    stage('awaiting_decision');
    const allDecided = () => progress.pendingDecisions.every((d) => decisions.screeningDecided.has(d));
    let inTime = await condition(allDecided, timing.decisionReminder);
    if (!inTime) {
      await steps.recordReminder({ listingId, about: 'screening_decision', n: 1 });
      inTime = await condition(allDecided, timing.decisionDeadline);
    }
    await lock.run(async () => {});
    screening = await steps.screenListing({ listingId, expired: !inTime });
    progress.pendingDecisions = [];
  }
  if (screening.verdict !== 'eligible') return finish('rejected', screening.reasons);

  // 2. Priority: wait durably in the purchase plan for this listing's turn and its money.
  stage('waiting_for_turn');
  const priority = await steps.assessPriority({ listingId });
  await plan.signal(requestAdmissionSignal, {
    listingId,
    workflowId: workflowInfo().workflowId,
    amountFen: priority.amountFen,
    loanShareBasisPoints: priority.loanShareBasisPoints,
    firstInLine: priority.firstInLine,
    unmetDemand: priority.unmetDemand,
  });
  await condition(() => progress.funding !== undefined);
  const reserved = progress.funding!;
  await steps.recordAdmission({ listingId, planId: input.planWorkflowId, funding: reserved });

  // 3. Survey, with reminders while the report is late.
  stage('survey');
  for (let n = 1; !(await condition(() => survey !== undefined, timing.surveyReminderEvery)); n++) {
    if (n <= timing.surveyMaxReminders) await steps.recordReminder({ listingId, about: 'survey', n });
  }
  const report = survey!;
  if (!report.passed) return finish('survey_failed', report.defects, reserved);

  // 4. Appraisal: the price cap.
  stage('appraisal');
  let cap: Awaited<ReturnType<typeof steps.appraise>>;
  if (patched('housing-step-failure-ends')) {
    // A refusal no retry can fix (e.g. facts the firm cannot appraise) ends the purchase with its reason and gives the reservation back.
    try {
      if (patched('housing-appraisal-by-firm')) {
        // The bureau commissions a firm; the simulator answers at once, any other firm through its role.
        const commission = await steps.commissionAppraisal({ listingId });
        progress.appraisalFirm = commission.firm;
        decisions = appraisalCommissioned(decisions, commission.firm);
        if (commission.cap) cap = commission.cap;
        else {
          await condition(() => firmCap !== undefined);
          cap = firmCap!;
        }
      } else cap = await steps.appraise({ listingId });
    } catch (error) {
      const reason = permanentFailure(error);
      if (reason === undefined) throw error;
      await steps.recordStepFailed({ listingId, step: 'appraisal', reason });
      return finish('terminated', [`appraisal failed: ${reason}`], reserved);
    }
  } else cap = await steps.appraise({ listingId });
  progress.capFen = cap.capFen;
  progress.askingFen = cap.askingFen;
  decisions = negotiationOpened(decisions, cap);

  // 5. Negotiation and approval.
  stage('negotiation');
  if (!(await condition(() => decisions.approved, timing.negotiationDeadline))) {
    await lock.run(async () => {});
    if (!decisions.approved)
      return finish('negotiation_expired', ['no approved price before the negotiation deadline'], reserved);
  }

  // 6. Contract, then registration (with deed tax) and the loan decision side by side.
  stage('contract');
  const contract = await steps.signContract({ listingId });
  let funding: Funding = { capitalFen: contract.capitalFen, loanFen: contract.loanFen };
  const undo: ((reason: string) => Promise<void>)[] = [(reason) => steps.terminateContract({ listingId, reason })];
  const compensate = async (reason: string) => {
    stage('compensation');
    for (const step of undo.reverse()) await step(reason);
    return finish('terminated', [reason], progress.funding);
  };

  stage('registration');
  const [registration, loan] = await Promise.all([
    outside.registerPurchase({ listingId, pollIntervalMs: timing.pollIntervalMs }),
    contract.loanFen > 0
      ? outside.obtainLoanDecision({ listingId, pollIntervalMs: timing.pollIntervalMs })
      : Promise.resolve(undefined),
  ]);
  if (registration.status === 'registered') undo.push((reason) => steps.unwindRegistration({ listingId, reason }));
  if (loan?.status === 'approved') undo.push((reason) => steps.cancelLoan({ listingId, reason }));
  if (registration.status === 'failed') return compensate(`registration failed: ${registration.reason}`);

  // 7. Loan: a refused loan falls back to capital where the plan allows, else the saga unwinds.
  stage('loan');
  if (loan?.status === 'refused') {
    await plan.signal(requestFallbackSignal, { listingId, refusedLoanFen: contract.loanFen });
    await condition(() => fallback !== undefined);
    if (!fallback!.granted) return compensate(`loan refused (${loan.reason}); ${fallback!.reason}`);
    progress.funding = fallback!.funding ?? progress.funding;
    funding = await steps.recordLoanFallback({ listingId, refusedLoanFen: contract.loanFen });
  }
  if (funding.loanFen > 0) await steps.drawLoan({ listingId });

  // 8. The seller is paid once, then the home enters the affordable rental stock.
  stage('payment');
  if (patched('housing-seller-payment-reissue')) {
    // A refused payment is an open step of this purchase: held with the bank's reason until the task
    // force re-issues it to a corrected account (a new attempt, a new key) or unwinds the purchase.
    progress.payment = { attempt: 1 };
    for (;;) {
      const payment = await outside.paySeller({
        listingId,
        attempt: progress.payment.attempt,
        pollIntervalMs: timing.pollIntervalMs,
      });
      if (payment.status === 'paid') break;
      progress.payment = { attempt: payment.attempt, heldReason: payment.reason };
      stage('payment_held');
      await condition(() => resolution !== undefined);
      const decided = resolution!;
      resolution = undefined;
      if (decided.kind === 'unwind')
        return compensate(`seller payment held (${payment.reason}); unwound by ${decided.by}: ${decided.reason}`);
      progress.payment = { attempt: decided.attempt };
      stage('payment');
    }
  } else {
    const payment = await outside.paySeller({ listingId, pollIntervalMs: timing.pollIntervalMs });
    // Money may have left: the reservation stays with this listing until someone resolves the payment.
    if (payment.status === 'held') return finish('payment_held', [payment.reason]);
  }

  stage('handover');
  await steps.handOver({ listingId });
  await plan.signal(settleSignal, { listingId, outcome: 'spent', actual: funding });
  stage('handed_over');
  progress.outcome = { listingId, outcome: 'handed_over', reasons: ['handed over to the affordable rental stock'] };
  await condition(allHandlersFinished);
  return progress.outcome;
}
