import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import { type BankVerdict, classifyBankAnswer, mayStillPay } from '../../platform/adapters/bank/answers';
import { BankUnavailableError, type InquiryStatus } from '../../platform/adapters/bank/types';
import type { NewEvent } from '../../platform/eventstore';
import { activityMetadata, heartbeat, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import type { Actor } from '../contracts/definitions';
import { streams } from '../contracts/events';
import { type FrozenContent, freezeInstructions, idempotencyKeyFor, loadInstructions } from './instructions';

export { idempotencyKeyFor } from './instructions';

const BANK_BATCH = 1_000;

/** A payment of ours whose attempt the bank has not answered definitely yet. */
type Unacknowledged = {
  payment_id: string;
  person_ref: string;
  amount_fen: string;
  attempt: number;
  cycle_id: string;
  jurisdiction: string;
};

interface Outcomes {
  accepted: { paymentId: string; bankPaymentId: string }[];
  settled: { paymentId: string; settledAt: string | null }[];
  held: { paymentId: string; reason: string }[];
  inDoubt: { paymentId: string; attempt: number; reason: string }[];
}
const noOutcomes = (): Outcomes => ({ accepted: [], settled: [], held: [], inDoubt: [] });

/** Records what the bank said, one event per kind of answer, with ids from the attempts' keys (a retry records nothing new). */
async function recordOutcomes(
  deps: SubsidyDeps,
  stream: string,
  cycleId: string,
  keyOf: (paymentId: string) => string,
  outcomes: Outcomes,
  tag: string,
) {
  const keys = (items: { paymentId: string }[]) => items.map((i) => keyOf(i.paymentId));
  const events: NewEvent[] = [];
  if (outcomes.accepted.length > 0)
    events.push(
      subsidyEvent(
        'PaymentsAccepted',
        { cycleId, items: outcomes.accepted },
        `accepted${tag}`,
        ...keys(outcomes.accepted),
      ),
    );
  if (outcomes.settled.length > 0)
    events.push(
      subsidyEvent('PaymentsSettled', { cycleId, items: outcomes.settled }, `settled${tag}`, ...keys(outcomes.settled)),
    );
  if (outcomes.held.length > 0)
    events.push(subsidyEvent('PaymentsHeld', { cycleId, items: outcomes.held }, `held${tag}`, ...keys(outcomes.held)));
  if (outcomes.inDoubt.length > 0) {
    const reasons = [...new Set(outcomes.inDoubt.map((i) => i.reason))].sort();
    events.push(
      subsidyEvent(
        'PaymentsInDoubt',
        { cycleId, items: outcomes.inDoubt },
        `in-doubt${tag}`,
        ...reasons,
        ...keys(outcomes.inDoubt),
      ),
    );
  }
  if (events.length > 0) await deps.store.append(stream, events, { metadata: activityMetadata(SYSTEM_ACTOR) });
}

/** Sorts the bank's answer about one attempt (platform/adapters/bank/answers.ts) into what our books record. */
function record(outcomes: Outcomes, paymentId: string, attempt: number, verdict: BankVerdict): void {
  switch (verdict.state) {
    case 'open':
      outcomes.accepted.push({ paymentId, bankPaymentId: verdict.bankPaymentId });
      return;
    case 'settled':
      outcomes.settled.push({ paymentId, settledAt: verdict.settledAt });
      return;
    case 'held':
      outcomes.held.push({ paymentId, reason: verdict.reason });
      return;
    case 'in_doubt':
      outcomes.inDoubt.push({ paymentId, attempt, reason: verdict.reason });
      return;
  }
}

/**
 * Brings unacknowledged attempts (recorded but not answered, or in doubt) to a definite state. The
 * bank is asked first what it holds under each key; only keys it never received are sent, and they
 * are sent with their frozen content. Any answer that is not definite — no answer, a conflict, an
 * unknown reason — leaves the payment in doubt (never held): the next poll asks the bank again.
 */
async function resolveWithBank(
  deps: SubsidyDeps,
  items: readonly Unacknowledged[],
  memo: string,
  neverSent: ReadonlySet<string> = new Set(),
  frozenNow: ReadonlyMap<string, FrozenContent> = new Map(),
): Promise<void> {
  for (let i = 0; i < items.length; i += BANK_BATCH) {
    const chunk = items.slice(i, i + BANK_BATCH);
    const { cycle_id: cycleId, jurisdiction } = chunk[0]!;
    const stream = streams.payments(cycleId, jurisdiction);
    const attemptOf = new Map(chunk.map((c) => [c.payment_id, c.attempt]));
    const keyOf = (paymentId: string) => idempotencyKeyFor(paymentId, attemptOf.get(paymentId)!);
    const keys = chunk.map((c) => keyOf(c.payment_id));

    // 1. Ask. An unreachable bank fails the activity (retried): nothing is sent blind. Attempts this
    // very activity recorded a moment ago cannot have reached the bank: they need no question.
    const asked = keys.filter((_, k) => !neverSent.has(chunk[k]!.payment_id));
    const inquiry = asked.length > 0 ? await deps.bank.inquire(asked) : { payments: [], missing: [] };
    inquiry.missing.push(...keys.filter((_, k) => neverSent.has(chunk[k]!.payment_id)));
    const outcomes = noOutcomes();
    const byKey = new Map(inquiry.payments.map((p) => [p.idempotencyKey, p]));
    for (const c of chunk) {
      const status = byKey.get(keyOf(c.payment_id));
      if (status) record(outcomes, c.payment_id, c.attempt, classifyBankAnswer(status));
    }
    await recordOutcomes(deps, stream, cycleId, keyOf, outcomes, ':inquiry');

    // 2. Send what the bank never received, exactly as frozen (legacy attempts are frozen now, once).
    const missing = new Set(inquiry.missing);
    const unsent = chunk.filter((c) => missing.has(keyOf(c.payment_id)));
    if (unsent.length === 0) continue;
    // Attempts recorded by this very activity were frozen with their intent; only older ones may not be.
    const unfrozen = unsent.filter((c) => !neverSent.has(c.payment_id));
    if (unfrozen.length > 0)
      await deps.db.transaction().execute((trx) =>
        freezeInstructions(
          deps,
          trx,
          unfrozen.map((c) => ({
            paymentId: c.payment_id,
            attempt: c.attempt,
            personRef: c.person_ref,
            amountFen: Number(c.amount_fen),
          })),
        ),
      );
    const unsentKeys = unsent.map((c) => keyOf(c.payment_id));
    const instructions = await loadInstructions(deps, unsentKeys, memo, frozenNow);
    const sent = noOutcomes();
    try {
      const response = await deps.bank.submitBatch({
        batchId: unsentKeys[0]!,
        payments: unsentKeys.map((k) => instructions.get(k)!),
      });
      const results = new Map(response.results.map((r) => [r.idempotencyKey, r]));
      // 'idempotency_conflict', an unknown reason or no result: the bank holds something we cannot read — ask again later.
      for (const c of unsent)
        record(sent, c.payment_id, c.attempt, classifyBankAnswer(results.get(keyOf(c.payment_id))));
    } catch (error) {
      if (!(error instanceof BankUnavailableError)) throw error;
      // The bank may have taken the batch and lost the answer: in doubt until it says otherwise.
      for (const c of unsent)
        sent.inDoubt.push({ paymentId: c.payment_id, attempt: c.attempt, reason: 'no_answer_from_bank' });
      await recordOutcomes(deps, stream, cycleId, keyOf, sent, ':submission');
      throw error;
    }
    await recordOutcomes(deps, stream, cycleId, keyOf, sent, ':submission');
    heartbeat({ resolved: i + chunk.length });
  }
}

/** How long the instructing activity itself follows settlement before leaving it to the workflow's polls. */
const QUICK_SETTLEMENT_MS = 5_000;
const QUICK_POLL_MS = 250;

/**
 * A bank that settles within seconds is followed here, a few polls apart, rather than by a workflow
 * timer (each poll of the workflow costs a timer, a task and an activity; the dev server's timers
 * fire no sooner than a second). Whatever is still open after QUICK_SETTLEMENT_MS is the workflow's
 * to follow, with its backing-off polls.
 */
async function awaitQuickSettlement(deps: SubsidyDeps, input: { cycleId: string; jurisdiction: string }) {
  const until = Date.now() + QUICK_SETTLEMENT_MS;
  let counts = await paymentCounts(deps, input);
  while (counts.pending > 0 && Date.now() < until) {
    await delay(QUICK_POLL_MS);
    heartbeat({ settling: counts.pending });
    try {
      counts = await pollSettlements(deps, input);
    } catch (error) {
      // The payments are instructed and recorded; an unreachable bank is the workflow's polls' to wait out.
      if (error instanceof BankUnavailableError) return paymentCounts(deps, input);
      throw error;
    }
  }
  return counts;
}

export async function instructPayments(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string },
): Promise<{ instructed: number; pending: number; held: number; settled?: number }> {
  const stream = streams.payments(input.cycleId, input.jurisdiction);
  const fresh = await deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'person_ref', 'amount_fen', 'attempt'])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction)
    .where('review_status', '=', 'approved')
    .where('payment_status', '=', 'not_instructed')
    .orderBy('seq')
    .execute();
  const memo = `${input.cycleId} 住院护理扶助`;
  // Each batch goes to the bank once its intent has committed, while the next batch is frozen; once
  // a batch is sent, the settlement of the one before it is asked after (a third chain).
  let sending: Promise<void> = Promise.resolve();
  let settling: Promise<void> = Promise.resolve();
  for (let i = 0; i < fresh.length; i += BANK_BATCH) {
    const chunk = fresh.slice(i, i + BANK_BATCH);
    // The intent and the frozen content of attempt 1 commit together, before the bank is called.
    const frozenNow = await deps.db.transaction().execute(async (trx) => {
      const attempts = chunk.map((c) => ({
        paymentId: c.payment_id,
        attempt: c.attempt + 1,
        personRef: c.person_ref,
        amountFen: Number(c.amount_fen),
      }));
      const { digests, frozenNow } = await freezeInstructions(deps, trx, attempts);
      const items = attempts.map((a) => ({
        paymentId: a.paymentId,
        attempt: a.attempt,
        amountFen: a.amountFen,
        digest: digests.get(idempotencyKeyFor(a.paymentId, a.attempt))!,
      }));
      await deps.store.appendWithin(
        trx,
        stream,
        [
          subsidyEvent(
            'PaymentsInstructed',
            { cycleId: input.cycleId, jurisdiction: input.jurisdiction, items },
            input.cycleId,
            input.jurisdiction,
            'instructed',
            chunk[0]!.payment_id,
          ),
        ],
        { metadata: activityMetadata(SYSTEM_ACTOR) },
      );
      return frozenNow;
    });
    heartbeat({ instructed: i + chunk.length });
    const recorded: Unacknowledged[] = chunk.map((c) => ({
      ...c,
      attempt: c.attempt + 1,
      cycle_id: input.cycleId,
      jurisdiction: input.jurisdiction,
    }));
    // Recorded a moment ago by this very activity: they cannot have reached the bank, nothing to ask.
    const recordedNow = new Set(chunk.map((c) => c.payment_id));
    // The batch sent just before this one on the same chain.
    const previous = fresh.slice(Math.max(0, i - BANK_BATCH), i).map((c) => c.payment_id);
    sending = sending.then(async () => {
      await resolveWithBank(deps, recorded, memo, recordedNow, frozenNow);
      settling = settling.then(() => followSettlement(deps, input, previous));
      settling.catch(() => {}); // surfaces below, when the settling is awaited
    });
    sending.catch(() => {}); // surfaces below, when the sending is awaited
  }
  await sending;
  await settling;
  // Attempts an earlier, interrupted run recorded but got no definite answer for, and any in doubt:
  // the bank is asked about each, and only what it never received is sent.
  const sentNow = new Set(fresh.map((f) => f.payment_id));
  const leftovers = (await unacknowledged(deps, input)).filter((u) => !sentNow.has(u.payment_id));
  await resolveWithBank(deps, leftovers, memo);
  return { instructed: fresh.length, ...(await awaitQuickSettlement(deps, input)) };
}

/** Everything recorded but not yet answered definitely — this run's, any a crash left behind, and any in doubt. */
async function unacknowledged(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; paymentId?: string },
): Promise<Unacknowledged[]> {
  let query = deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'person_ref', 'amount_fen', 'attempt', 'cycle_id', 'jurisdiction'])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction)
    .where('payment_status', 'in', ['instructed', 'in_doubt']);
  if (input.paymentId) query = query.where('payment_id', '=', input.paymentId);
  return query.orderBy('seq').execute();
}

async function paymentCounts(deps: SubsidyDeps, input: { cycleId: string; jurisdiction: string; paymentId?: string }) {
  let query = deps.db
    .selectFrom('entitlements')
    .select([
      sql<string>`count(*) filter (where payment_status in ('instructed', 'accepted', 'in_doubt'))`.as('pending'),
      sql<string>`count(*) filter (where payment_status = 'in_doubt')`.as('in_doubt'),
      sql<string>`count(*) filter (where payment_status = 'settled')`.as('settled'),
      sql<string>`count(*) filter (where payment_status = 'held')`.as('held'),
    ])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction);
  if (input.paymentId) query = query.where('payment_id', '=', input.paymentId);
  const row = await query.executeTakeFirstOrThrow();
  return {
    pending: Number(row.pending),
    inDoubt: Number(row.in_doubt),
    settled: Number(row.settled),
    held: Number(row.held),
  };
}

/**
 * Asks the bank about every payment not final yet: accepted ones for settlement (or failure, held
 * with the bank's reason), and unanswered or in-doubt ones through an inquiry, sending only what the
 * bank never received.
 */
export async function pollSettlements(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; paymentId?: string },
): Promise<{ pending: number; settled: number; held: number; inDoubt: number }> {
  await resolveWithBank(deps, await unacknowledged(deps, input), `${input.cycleId} 住院护理扶助`);
  let query = deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'attempt'])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction)
    .where('payment_status', '=', 'accepted');
  if (input.paymentId) query = query.where('payment_id', '=', input.paymentId);
  const accepted = await query.orderBy('seq').execute();
  for (let i = 0; i < accepted.length; i += BANK_BATCH) {
    await recordSettlements(deps, input, accepted.slice(i, i + BANK_BATCH));
    heartbeat({ polled: Math.min(accepted.length, i + BANK_BATCH) });
  }
  return paymentCounts(deps, input);
}

/** Asks the bank about accepted attempts (at most BANK_BATCH) and records those it settled or failed. */
async function recordSettlements(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string },
  chunk: readonly { payment_id: string; attempt: number }[],
): Promise<void> {
  if (chunk.length === 0) return;
  const attemptOf = new Map(chunk.map((c) => [c.payment_id, c.attempt]));
  const keyOf = (paymentId: string) => idempotencyKeyFor(paymentId, attemptOf.get(paymentId)!);
  const statuses = await deps.bank.queryPayments(chunk.map((c) => keyOf(c.payment_id)));
  const byKey = new Map(statuses.map((s) => [s.idempotencyKey, s]));
  const outcomes = noOutcomes();
  for (const c of chunk) {
    // Still open, or unreadable: asked again at the next poll.
    const verdict = classifyBankAnswer(byKey.get(keyOf(c.payment_id)));
    if (verdict.state === 'settled' || verdict.state === 'held') record(outcomes, c.payment_id, c.attempt, verdict);
  }
  await recordOutcomes(deps, streams.payments(input.cycleId, input.jurisdiction), input.cycleId, keyOf, outcomes, '');
}

/**
 * Follows the settlement of a batch sent a moment ago, while later batches are being sent: a bank
 * that settles within seconds has then little left for the end of the run. An unreachable bank is
 * the later polls' to wait out; any other failure fails the activity.
 */
async function followSettlement(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string },
  paymentIds: readonly string[],
): Promise<void> {
  if (paymentIds.length === 0) return;
  const accepted = await deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'attempt'])
    .where('payment_id', '=', sql<string>`any(${paymentIds}::text[])`)
    .where('payment_status', '=', 'accepted')
    .execute();
  try {
    await recordSettlements(deps, input, accepted);
  } catch (error) {
    if (!(error instanceof BankUnavailableError)) throw error;
  }
}

/** The attempt of a payment that stands in the way of another one, as the bank sees it. */
function blockingAttempt(
  statuses: readonly InquiryStatus[],
): { status: InquiryStatus; kind: 'PaymentAlreadySettled' | 'PaymentInDoubt' } | undefined {
  const settled = statuses.find((s) => s.status === 'settled');
  if (settled) return { status: settled, kind: 'PaymentAlreadySettled' };
  const pending = statuses.find(mayStillPay);
  return pending ? { status: pending, kind: 'PaymentInDoubt' } : undefined;
}

export interface ReissueRequest {
  paymentId: string;
  actor: Actor;
  /** The attempt to make (current + 1): two requests for the same attempt are one re-issue. */
  attempt?: number;
  /** A corrected account entered by the person who asked (payment_corrections), applied before freezing. */
  correctionId?: string;
}

/**
 * Re-issues a held payment as its next attempt, under a new idempotency key — after asking the
 * bank about every earlier attempt: one that is settled, or still pending or unreadable at the bank,
 * refuses the re-issue (non-retryable, naming the attempt), so a payment is never made twice.
 */
export async function reissuePayment(
  deps: SubsidyDeps,
  input: ReissueRequest,
): Promise<{ cycleId: string; jurisdiction: string; attempt: number }> {
  const item = await deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'person_ref', 'amount_fen', 'attempt', 'cycle_id', 'jurisdiction', 'payment_status'])
    .where('payment_id', '=', input.paymentId)
    .executeTakeFirst();
  if (!item) throw ApplicationFailure.nonRetryable(`unknown payment ${input.paymentId}`, 'UnknownPayment');
  const target = input.attempt ?? (item.payment_status === 'held' ? item.attempt + 1 : item.attempt);
  const stream = streams.payments(item.cycle_id, item.jurisdiction);

  const recordedNow = new Set<string>();
  if (item.attempt < target) {
    if (item.payment_status !== 'held') {
      throw ApplicationFailure.nonRetryable(
        `payment ${item.payment_id} is ${item.payment_status}, not held: nothing to re-issue`,
        'PaymentNotHeld',
      );
    }
    const earlier = Array.from({ length: item.attempt }, (_, k) => idempotencyKeyFor(item.payment_id, k + 1));
    const blocking = blockingAttempt((await deps.bank.inquire(earlier)).payments);
    if (blocking) {
      const what =
        blocking.kind === 'PaymentAlreadySettled'
          ? 'is settled at the bank'
          : `is still ${blocking.status.status} at the bank`;
      throw ApplicationFailure.nonRetryable(
        `attempt ${blocking.status.idempotencyKey} of payment ${item.payment_id} ${what} (bank reference ${blocking.status.paymentId}): not re-issued`,
        blocking.kind,
      );
    }
    if (input.correctionId) await applyCorrection(deps, item.person_ref, input.correctionId, input.actor);
    await deps.db.transaction().execute(async (trx) => {
      const attempt = {
        paymentId: item.payment_id,
        attempt: target,
        personRef: item.person_ref,
        amountFen: Number(item.amount_fen),
      };
      const digest = (await freezeInstructions(deps, trx, [attempt])).digests.get(
        idempotencyKeyFor(item.payment_id, target),
      )!;
      await deps.store.appendWithin(
        trx,
        stream,
        [
          subsidyEvent(
            'PaymentReissued',
            {
              cycleId: item.cycle_id,
              paymentId: item.payment_id,
              attempt: target,
              actor: input.actor,
              amountFen: attempt.amountFen,
              digest,
              ...(input.correctionId ? { correctionId: input.correctionId } : {}),
            },
            item.payment_id,
            'reissue',
            target,
          ),
        ],
        { metadata: activityMetadata(input.actor) },
      );
    });
    recordedNow.add(item.payment_id);
  }
  const open = await unacknowledged(deps, {
    cycleId: item.cycle_id,
    jurisdiction: item.jurisdiction,
    paymentId: item.payment_id,
  });
  await resolveWithBank(deps, open, `${item.cycle_id} 住院护理扶助 (re-issue)`, recordedNow);
  return { cycleId: item.cycle_id, jurisdiction: item.jurisdiction, attempt: target };
}

/** Puts a corrected account into the vault (for this and later attempts) and records who corrected it. */
async function applyCorrection(
  deps: SubsidyDeps,
  personRef: string,
  correctionId: string,
  actor: Actor,
): Promise<void> {
  const row = await deps.db
    .selectFrom('payment_corrections')
    .select(['sealed', 'person_ref'])
    .where('correction_id', '=', correctionId)
    .executeTakeFirst();
  if (!row || row.person_ref !== personRef)
    throw ApplicationFailure.nonRetryable(
      `no account correction ${correctionId} for this payment`,
      'UnknownCorrection',
    );
  const account = deps.vault.openValue<{ bankCode: string; accountNo: string }>(row.sealed);
  await deps.vault.update(personRef, account);
  await deps.store.append(
    streams.beneficiary(personRef),
    [subsidyEvent('BeneficiaryAccountCorrected', { personRef, actor }, personRef, 'account', correctionId)],
    { metadata: activityMetadata(actor) },
  );
}
