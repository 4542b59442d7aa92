import { describe, expect, it } from 'vitest';
import { classifyBankAnswer, mayStillPay } from '../../platform/adapters/bank';

// One reading of the bank's answers for the subsidy's payments and housing's seller payments.
const key = { idempotencyKey: 'k#1', paymentId: 'BP-1', amountFen: 100 };

describe('a bank answer about one attempt', () => {
  it('accepted or pending is open; settled is settled', () => {
    expect(classifyBankAnswer({ ...key, status: 'accepted' })).toEqual({ state: 'open', bankPaymentId: 'BP-1' });
    expect(classifyBankAnswer({ ...key, status: 'pending' })).toEqual({ state: 'open', bankPaymentId: 'BP-1' });
    expect(classifyBankAnswer({ ...key, status: 'settled', settledAt: '2026-01-02T03:04:05Z' })).toEqual({
      state: 'settled',
      settledAt: '2026-01-02T03:04:05Z',
    });
  });

  it('a failure or a refusal of the account is held; any other refusal, or no answer, is in doubt', () => {
    expect(classifyBankAnswer({ ...key, status: 'failed', reason: 'account_closed' })).toEqual({
      state: 'held',
      reason: 'account_closed',
    });
    expect(classifyBankAnswer({ ...key, status: 'rejected', reason: 'name_mismatch' })).toEqual({
      state: 'held',
      reason: 'name_mismatch',
    });
    expect(classifyBankAnswer({ ...key, status: 'rejected', reason: 'idempotency_conflict' })).toEqual({
      state: 'in_doubt',
      reason: 'idempotency_conflict',
    });
    expect(classifyBankAnswer(undefined)).toEqual({ state: 'in_doubt', reason: 'no_result_for_key' });
    expect(classifyBankAnswer({ ...key, status: 'reversed' as 'failed' }).state).toBe('in_doubt');
  });

  it('only a held attempt lets a person re-issue or unwind', () => {
    expect(mayStillPay({ ...key, status: 'failed', reason: 'account_closed' })).toBe(false);
    expect(mayStillPay({ ...key, status: 'pending' })).toBe(true);
    expect(mayStillPay({ ...key, status: 'settled' })).toBe(true);
    expect(mayStillPay({ ...key, status: 'rejected', reason: 'timeout' })).toBe(true);
  });
});
