import { sql } from 'kysely';
import { streams } from '../../projections/subsidy/events';
import type { Actor } from '../../workflows/subsidy/definitions';
import { activityMetadata, heartbeat, subsidyEvent, SYSTEM_ACTOR, type SubsidyDeps } from './context';

const BANK_BATCH = 1_000;

/** The bank's idempotency key of one attempt at one payment: a resubmission of the same attempt can never pay twice. */
export function idempotencyKeyFor(paymentId: string, attempt: number): string {
  return `${paymentId}#${attempt}`;
}

type Pending = { payment_id: string; person_ref: string; amount_fen: string; attempt: number; cycle_id: string; jurisdiction: string };

/**
 * Sends one attempt of each payment to the bank. The intent (PaymentsInstructed) is recorded before
 * the bank is called; a crash in between leaves the items 'instructed', and the retry resubmits
 * them under the same idempotency keys, which the bank answers with its first result.
 */
async function submitToBank(deps: SubsidyDeps, items: Pending[], memo: string): Promise<{ accepted: number; held: number }> {
  let accepted = 0;
  let held = 0;
  for (let i = 0; i < items.length; i += BANK_BATCH) {
    const chunk = items.slice(i, i + BANK_BATCH);
    const secrets = await deps.vault.getMany(chunk.map((c) => c.person_ref));
    const instructions = chunk.map((c) => {
      const person = secrets.get(c.person_ref);
      return {
        idempotencyKey: idempotencyKeyFor(c.payment_id, c.attempt),
        bankCode: person?.bankCode ?? '',
        accountNo: person?.accountNo ?? '',
        accountName: person?.name ?? '',
        amountFen: Number(c.amount_fen),
        memo,
      };
    });
    const response = await deps.bank.submitBatch({ batchId: idempotencyKeyFor(chunk[0]!.payment_id, chunk[0]!.attempt), payments: instructions });
    const byKey = new Map(response.results.map((r) => [r.idempotencyKey, r]));
    const acceptedItems: { paymentId: string; bankPaymentId: string }[] = [];
    const heldItems: { paymentId: string; reason: string }[] = [];
    for (const c of chunk) {
      const result = byKey.get(idempotencyKeyFor(c.payment_id, c.attempt));
      if (result?.status === 'accepted') acceptedItems.push({ paymentId: c.payment_id, bankPaymentId: result.paymentId });
      else heldItems.push({ paymentId: c.payment_id, reason: result?.reason ?? 'no_answer_from_bank' });
    }
    const cycleId = chunk[0]!.cycle_id;
    const events = [];
    // Event ids from the attempts' keys: a retried submission records the same answers once.
    const keys = chunk.map((c) => idempotencyKeyFor(c.payment_id, c.attempt));
    if (acceptedItems.length > 0) events.push(subsidyEvent('PaymentsAccepted', { cycleId, items: acceptedItems }, 'accepted', ...keys));
    if (heldItems.length > 0) events.push(subsidyEvent('PaymentsHeld', { cycleId, items: heldItems }, 'held-at-submission', ...keys));
    if (events.length > 0) await deps.store.append(streams.payments(cycleId, chunk[0]!.jurisdiction), events, { metadata: activityMetadata(SYSTEM_ACTOR) });
    accepted += acceptedItems.length;
    held += heldItems.length;
    heartbeat({ submitted: i + chunk.length });
  }
  return { accepted, held };
}

export async function instructPayments(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string },
): Promise<{ instructed: number; pending: number; held: number }> {
  const stream = streams.payments(input.cycleId, input.jurisdiction);
  const fresh = await deps.db
    .selectFrom('entitlements')
    .select(['payment_id'])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction)
    .where('review_status', '=', 'approved')
    .where('payment_status', '=', 'not_instructed')
    .orderBy('seq')
    .execute();
  for (let i = 0; i < fresh.length; i += BANK_BATCH) {
    const chunk = fresh.slice(i, i + BANK_BATCH);
    await deps.store.append(
      stream,
      [
        subsidyEvent(
          'PaymentsInstructed',
          { cycleId: input.cycleId, jurisdiction: input.jurisdiction, items: chunk.map((c) => ({ paymentId: c.payment_id, attempt: 1 })) },
          input.cycleId,
          input.jurisdiction,
          'instructed',
          chunk[0]!.payment_id,
        ),
      ],
      { metadata: activityMetadata(SYSTEM_ACTOR) },
    );
  }
  // Everything instructed but not yet acknowledged — this run's and any a crash left behind.
  const unacknowledged = await deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'person_ref', 'amount_fen', 'attempt', 'cycle_id', 'jurisdiction'])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction)
    .where('payment_status', '=', 'instructed')
    .orderBy('seq')
    .execute();
  await submitToBank(deps, unacknowledged, `${input.cycleId} 住院护理扶助`);
  return { instructed: fresh.length, ...(await paymentCounts(deps, input)) };
}

async function paymentCounts(deps: SubsidyDeps, input: { cycleId: string; jurisdiction: string; paymentId?: string }) {
  let query = deps.db
    .selectFrom('entitlements')
    .select([
      sql<string>`count(*) filter (where payment_status in ('instructed', 'accepted'))`.as('pending'),
      sql<string>`count(*) filter (where payment_status = 'settled')`.as('settled'),
      sql<string>`count(*) filter (where payment_status = 'held')`.as('held'),
    ])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction);
  if (input.paymentId) query = query.where('payment_id', '=', input.paymentId);
  const row = await query.executeTakeFirstOrThrow();
  return { pending: Number(row.pending), settled: Number(row.settled), held: Number(row.held) };
}

/** Asks the bank about every accepted payment and records settlements and failures (held, with the bank's reason). */
export async function pollSettlements(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; paymentId?: string },
): Promise<{ pending: number; settled: number; held: number }> {
  let query = deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'attempt'])
    .where('cycle_id', '=', input.cycleId)
    .where('jurisdiction', '=', input.jurisdiction)
    .where('payment_status', '=', 'accepted');
  if (input.paymentId) query = query.where('payment_id', '=', input.paymentId);
  const accepted = await query.orderBy('seq').execute();
  const stream = streams.payments(input.cycleId, input.jurisdiction);
  for (let i = 0; i < accepted.length; i += BANK_BATCH) {
    const chunk = accepted.slice(i, i + BANK_BATCH);
    const statuses = await deps.bank.queryPayments(chunk.map((c) => idempotencyKeyFor(c.payment_id, c.attempt)));
    const byKey = new Map(statuses.map((s) => [s.idempotencyKey, s]));
    const attemptOf = new Map(chunk.map((c) => [c.payment_id, c.attempt]));
    const settled: { paymentId: string; settledAt: string | null }[] = [];
    const held: { paymentId: string; reason: string }[] = [];
    for (const c of chunk) {
      const status = byKey.get(idempotencyKeyFor(c.payment_id, c.attempt));
      if (status?.status === 'settled') settled.push({ paymentId: c.payment_id, settledAt: status.settledAt ?? null });
      else if (status?.status === 'failed') held.push({ paymentId: c.payment_id, reason: status.reason ?? 'failed' });
    }
    const events = [];
    // Ids from the attempts' keys: the same answer recorded twice is one event.
    const keysOf = (ids: { paymentId: string }[]) => ids.map((x) => idempotencyKeyFor(x.paymentId, attemptOf.get(x.paymentId)!));
    if (settled.length > 0) events.push(subsidyEvent('PaymentsSettled', { cycleId: input.cycleId, items: settled }, 'settled', ...keysOf(settled)));
    if (held.length > 0) events.push(subsidyEvent('PaymentsHeld', { cycleId: input.cycleId, items: held }, 'held', ...keysOf(held)));
    if (events.length > 0) await deps.store.append(stream, events, { metadata: activityMetadata(SYSTEM_ACTOR) });
    heartbeat({ polled: i + chunk.length });
  }
  return paymentCounts(deps, input);
}

/** Re-issues a held payment after its account was corrected: the next attempt, under a new idempotency key. */
export async function reissuePayment(deps: SubsidyDeps, input: { paymentId: string; actor: Actor }): Promise<{ cycleId: string; jurisdiction: string }> {
  const item = await deps.db
    .selectFrom('entitlements')
    .select(['payment_id', 'person_ref', 'amount_fen', 'attempt', 'cycle_id', 'jurisdiction', 'payment_status'])
    .where('payment_id', '=', input.paymentId)
    .executeTakeFirst();
  if (!item) throw new Error(`unknown payment ${input.paymentId}`);
  if (item.payment_status === 'held') {
    const attempt = item.attempt + 1;
    await deps.store.append(
      streams.payments(item.cycle_id, item.jurisdiction),
      [subsidyEvent('PaymentReissued', { cycleId: item.cycle_id, paymentId: item.payment_id, attempt, actor: input.actor }, item.payment_id, 'reissue', attempt)],
      { metadata: activityMetadata(input.actor) },
    );
    item.attempt = attempt;
    item.payment_status = 'instructed';
  }
  if (item.payment_status === 'instructed') await submitToBank(deps, [item], `${item.cycle_id} 住院护理扶助 (re-issue)`);
  return { cycleId: item.cycle_id, jurisdiction: item.jurisdiction };
}
