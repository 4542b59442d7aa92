import { ApplicationFailure } from '@temporalio/activity';
import { classifyBankAnswer, mayStillPay } from '../../platform/adapters/bank/answers';
import type { PaymentStatus } from '../../platform/adapters/bank/types';
import type { PersonVault } from '../../platform/db/person-vault';
import { activityMetadata } from '../../platform/temporal/activity-context';
import { type HousingDeps, housingEvent, listingHistory, need, pollUntil, WORKER_ACTOR } from '../context';
import type { HousingActor } from '../contracts/definitions';
import { housingStreams, type SellerPaymentAttempt } from '../contracts/events';

// The seller's payment (组织实施(四)) as attempts: attempt N has its own idempotency key
// `housing-seller-<listingId>#N` and its instruction (account, amount) is frozen in a
// SellerPaymentIssued event before it is first sent, so every retry of N sends exactly the same
// content. Only a definite refusal (an invalid or closed account) holds the payment for a person;
// a conflict, a timeout or an answer we do not know is "in doubt": the bank is asked again, never held.

export const sellerPaymentKey = (listingId: string, attempt: number) => `housing-seller-${listingId}#${attempt}`;

export interface PayeeAccount {
  bankCode: string;
  accountNo: string;
  name: string;
}

/** A vault entry per (listing, account): the ref always names the same account, so an issued attempt never changes. */
export async function storePayeeAccount(
  vault: PersonVault,
  listingId: string,
  account: PayeeAccount,
): Promise<{ accountRef: string; accountMask: string }> {
  const accountRef = vault.personRef(`housing-payee:${listingId}:${account.bankCode}:${account.accountNo}`);
  await vault.putMany([
    {
      personRef: accountRef,
      secrets: {
        idNumber: `housing-payee:${listingId}`,
        name: account.name,
        bankCode: account.bankCode,
        accountNo: account.accountNo,
      },
    },
  ]);
  return { accountRef, accountMask: `****${account.accountNo.slice(-4)}` };
}

async function attemptsOf(deps: HousingDeps, listingId: string) {
  const events = await deps.store.readStream(housingStreams.listing(listingId));
  const issued = new Map<number, SellerPaymentAttempt>();
  const reissued = new Map<number, { accountRef: string; accountMask: string }>();
  for (const e of events) {
    if (e.type === 'SellerPaymentIssued') {
      const a = e.data as unknown as SellerPaymentAttempt;
      issued.set(a.attempt, a);
    }
    if (e.type === 'SellerPaymentReissueDecided') {
      const r = e.data as { attempt: number; accountRef: string; accountMask: string };
      reissued.set(r.attempt, r);
    }
  }
  return { issued, reissued };
}

/** Attempt N's instruction: the one recorded, or (first time) recorded now from the account decided for it. */
async function issue(deps: HousingDeps, listingId: string, attempt: number): Promise<SellerPaymentAttempt> {
  const { issued, reissued } = await attemptsOf(deps, listingId);
  const known = issued.get(attempt);
  if (known) return known;
  const history = await listingHistory(deps.store, listingId);
  const contract = need(history.ContractSigned, `contract of ${listingId}`);
  const listing = need(history.ListingRegistered, listingId);
  let payee: SellerPaymentAttempt['payee'] = 'seller';
  let account: { accountRef: string; accountMask: string } | undefined;
  if (attempt === 1) {
    // 以旧换新: the proceeds go to the new home's escrow account when the listing names one.
    const escrowRef = listing.newHome?.escrowRef;
    const source = escrowRef ?? listing.sellerRef;
    payee = escrowRef ? 'escrow' : 'seller';
    const secrets = (await deps.vault.getMany([source])).get(source);
    if (!secrets)
      throw ApplicationFailure.nonRetryable(
        `no account in the vault for ${listingId}'s ${payee}: correct it with seller-payment/reissue`,
        'NoSellerAccount',
      );
    account = await storePayeeAccount(deps.vault, listingId, {
      bankCode: secrets.bankCode,
      accountNo: secrets.accountNo,
      name: secrets.name,
    });
  } else {
    account = reissued.get(attempt);
    if (!account)
      throw ApplicationFailure.nonRetryable(
        `attempt ${attempt} of ${listingId}'s seller payment was never decided`,
        'NoReissueDecision',
      );
  }
  const instruction: SellerPaymentAttempt = {
    attempt,
    idempotencyKey: sellerPaymentKey(listingId, attempt),
    amountFen: contract.priceFen,
    payee,
    ...account,
  };
  const appended = await deps.store.append(
    housingStreams.listing(listingId),
    [housingEvent('SellerPaymentIssued', { listingId, ...instruction }, listingId, attempt)],
    {
      metadata: activityMetadata(WORKER_ACTOR),
    },
  );
  // Whoever recorded first froze it: use the stored instruction, not ours.
  return (appended.events[0]?.data as unknown as SellerPaymentAttempt | undefined) ?? instruction;
}

export type SellerPayment = { status: 'paid'; attempt: number } | { status: 'held'; attempt: number; reason: string };

class InDoubt extends Error {
  override name = 'SellerPaymentInDoubt';
}

/**
 * Pays attempt N (default 1) of the seller's payment. Paid → SellerPaid. A definite refusal → held
 * (SellerPaymentHeld with the bank's reason). Anything else is in doubt: the activity fails with a
 * retryable error and is retried under the same key, after asking the bank what it knows of the key.
 */
export async function paySeller(
  deps: HousingDeps,
  input: { listingId: string; attempt?: number; pollIntervalMs: number },
): Promise<SellerPayment> {
  const { listingId } = input;
  const attempt = input.attempt ?? 1;
  const history = await listingHistory(deps.store, listingId);
  if (history.SellerPaid) return { status: 'paid', attempt };
  const instruction = await issue(deps, listingId, attempt);
  const key = instruction.idempotencyKey;
  const held = async (reason: string): Promise<SellerPayment> => {
    await deps.store.append(
      housingStreams.listing(listingId),
      [housingEvent('SellerPaymentHeld', { listingId, idempotencyKey: key, reason, attempt }, listingId, key)],
      {
        metadata: activityMetadata('bank'),
      },
    );
    return { status: 'held', attempt, reason };
  };
  const paid = async (status: PaymentStatus): Promise<SellerPayment> => {
    await deps.store.append(
      housingStreams.listing(listingId),
      [
        housingEvent(
          'SellerPaid',
          { listingId, idempotencyKey: key, amountFen: status.amountFen, settledAt: status.settledAt ?? '' },
          listingId,
        ),
      ],
      { metadata: activityMetadata('bank') },
    );
    return { status: 'paid', attempt };
  };
  const follow = async (status: PaymentStatus): Promise<SellerPayment> => {
    await deps.store.append(
      housingStreams.listing(listingId),
      // (Attempt 1 keeps the id it always had, so a payment in flight across the upgrade is not recorded twice.)
      [
        housingEvent(
          'SellerPaymentInstructed',
          { listingId, idempotencyKey: key, amountFen: instruction.amountFen, bankPaymentId: status.paymentId },
          ...(attempt === 1 ? [listingId] : [listingId, key]),
        ),
      ],
      { metadata: activityMetadata(WORKER_ACTOR) },
    );
    const final = await pollUntil(async () => {
      const [now] = await deps.bank.queryPayments([key]);
      return now && now.status !== 'pending' ? now : undefined;
    }, input.pollIntervalMs);
    const verdict = classifyBankAnswer(final);
    if (verdict.state === 'settled') return paid(final);
    // The bank says it will not pay (e.g. account_closed): definite, the money did not leave.
    if (verdict.state === 'held') return held(verdict.reason);
    throw new InDoubt(`seller payment ${key}: the bank answers '${String(final.status)}'; asking again`);
  };

  // What the bank already knows of this key (an earlier try may have reached it and lost the answer).
  const [known] = await deps.bank.queryPayments([key]);
  if (known) return follow(known);
  const account = (await deps.vault.getMany([instruction.accountRef])).get(instruction.accountRef);
  if (!account)
    throw ApplicationFailure.nonRetryable(`the account of ${key} is missing from the vault`, 'NoSellerAccount');
  const contract = need(history.ContractSigned, `contract of ${listingId}`);
  const submitted = await deps.bank.submitBatch({
    batchId: key,
    payments: [
      {
        idempotencyKey: key,
        bankCode: account.bankCode,
        accountNo: account.accountNo,
        accountName: account.name,
        amountFen: instruction.amountFen,
        memo: `许政办〔2025〕10号 收购房款 ${contract.contractId}`,
      },
    ],
  });
  const answer = submitted.results[0];
  const verdict = classifyBankAnswer(answer);
  if (verdict.state === 'open')
    return follow({
      idempotencyKey: key,
      paymentId: verdict.bankPaymentId,
      status: 'pending',
      amountFen: instruction.amountFen,
    });
  if (verdict.state === 'held') return held(verdict.reason);
  // idempotency_conflict, no answer, an answer we do not know: ask the bank about the key before anything else.
  const [after] = await deps.bank.queryPayments([key]);
  if (after) return follow(after);
  throw new InDoubt(
    `seller payment ${key}: the bank answered ${answer ? `${answer.status}/${answer.reason ?? '?'}` : 'nothing'} and knows no payment under the key; asking again`,
  );
}

/**
 * The task force resolves a held payment: re-issue to a corrected account (attempt N+1, a new key) or
 * unwind the purchase. Either only after asking the bank: an earlier attempt settled or still open
 * at the bank refuses the decision (the money may have left), naming the attempt.
 */
export async function decideSellerPayment(
  deps: HousingDeps,
  input:
    | {
        listingId: string;
        decision: 'reissue';
        attempt: number;
        accountRef: string;
        accountMask: string;
        reason: string;
        actor: HousingActor;
      }
    | { listingId: string; decision: 'unwind'; reason: string; actor: HousingActor },
): Promise<void> {
  const { listingId, actor } = input;
  const { issued } = await attemptsOf(deps, listingId);
  const keys = [...issued.values()].map((a) => a.idempotencyKey);
  const statuses = keys.length > 0 ? await deps.bank.queryPayments(keys) : [];
  for (const status of statuses) {
    if (mayStillPay(status)) {
      throw ApplicationFailure.nonRetryable(
        `seller payment ${status.idempotencyKey} is ${status.status} at the bank: no ${input.decision} while it may pay`,
        'PaymentNotResolved',
      );
    }
  }
  const stream = housingStreams.listing(listingId);
  const metadata = { metadata: activityMetadata(actor) };
  if (input.decision === 'reissue') {
    const { attempt, accountRef, accountMask, reason } = input;
    if (!(await deps.vault.getMany([accountRef])).has(accountRef))
      throw ApplicationFailure.nonRetryable('the corrected account is not in the vault', 'NoSellerAccount');
    await deps.store.append(
      stream,
      [
        housingEvent(
          'SellerPaymentReissueDecided',
          { listingId, attempt, accountRef, accountMask, reason, by: actor.subject },
          listingId,
          attempt,
        ),
      ],
      metadata,
    );
  } else {
    await deps.store.append(
      stream,
      [housingEvent('SellerPaymentUnwindDecided', { listingId, reason: input.reason, by: actor.subject }, listingId)],
      metadata,
    );
  }
}
