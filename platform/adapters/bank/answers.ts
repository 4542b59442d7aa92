import type { InquiryStatus, PaymentStatus, SubmissionResult } from './types';

// One reading of the bank's answers for both programs (subsidy payments, housing seller payments): the bank is
// the authority on money, and only a definite refusal lets a person re-issue or unwind.

/** Refusals of the instruction itself (the account): sending it again cannot succeed, a person must act. */
export const DEFINITE_REFUSALS: ReadonlySet<string> = new Set([
  'invalid_account',
  'account_closed',
  'account_frozen',
  'name_mismatch',
  'bank_unknown',
]);

/** What an answer about one attempt means for our books. */
export type BankVerdict =
  /** Accepted or pending: it will settle or fail later. */
  | { state: 'open'; bankPaymentId: string }
  | { state: 'settled'; settledAt: string | null }
  /** Definitely not paid, and never will be under this key: held for a person. */
  | { state: 'held'; reason: string }
  /** We cannot tell (a conflict, an unknown reason, no answer): ask the bank again, never hold. */
  | { state: 'in_doubt'; reason: string };

/** Classifies a submission result, a status or an inquiry answer; no answer at all is in doubt. */
export function classifyBankAnswer(
  answer: SubmissionResult | PaymentStatus | InquiryStatus | undefined,
  noAnswer = 'no_result_for_key',
): BankVerdict {
  if (!answer) return { state: 'in_doubt', reason: noAnswer };
  const status = answer.status as string;
  switch (status) {
    case 'accepted':
    case 'pending':
      return { state: 'open', bankPaymentId: answer.paymentId };
    case 'settled':
      return { state: 'settled', settledAt: ('settledAt' in answer ? answer.settledAt : undefined) ?? null };
    case 'failed':
      return { state: 'held', reason: answer.reason ?? 'failed' };
    case 'rejected':
      if (answer.reason && DEFINITE_REFUSALS.has(answer.reason)) return { state: 'held', reason: answer.reason };
      return { state: 'in_doubt', reason: answer.reason ?? 'rejected_without_reason' };
    default:
      return { state: 'in_doubt', reason: `unknown_status_${status}` };
  }
}

/** Whether an earlier attempt may still pay (settled, open or unreadable): a re-issue or an unwind must wait. */
export function mayStillPay(answer: PaymentStatus | InquiryStatus): boolean {
  return classifyBankAnswer(answer).state !== 'held';
}
