import { afterEach, describe, expect, it } from 'vitest';
import { BankRejectedError } from '../../platform/adapters/bank';
import { type Bank, instruction, startBank, until } from './helpers';

let bank: Bank | undefined;
afterEach(async () => {
  await bank?.close();
  bank = undefined;
});

describe('bank gateway: submission and idempotency', () => {
  it('answers a resubmission under the same key with the first result, and records one payment', async () => {
    bank = await startBank();
    const p = instruction();
    const first = await bank.client.submitBatch({ batchId: 'b1', payments: [p] });
    expect(first.results).toEqual([
      { idempotencyKey: p.idempotencyKey, paymentId: expect.stringMatching(/^BK\d+$/), status: 'accepted' },
    ]);

    const again = await bank.client.submitBatch({ batchId: 'b1-retry', payments: [p] });
    expect(again.results).toEqual(first.results);
    // Still the first answer after the payment settled: a submission's answer never changes.
    await until(
      () => bank!.client.queryPayments([p.idempotencyKey]),
      (s) => s[0]?.status === 'settled',
    );
    expect((await bank.client.submitBatch({ batchId: 'b1-late', payments: [p] })).results).toEqual(first.results);

    const ledger = await bank.admin.ledger();
    expect(ledger.counts).toMatchObject({ entries: 1, submittedRecords: 1, settled: 1 });
    expect(ledger.settledFen).toBe(p.amountFen);
  });

  it('refuses a key reused for another amount or account, leaving the first payment untouched', async () => {
    // Settlement far away: the ledger is compared before and after, and a busy machine must not settle in between.
    bank = await startBank({ settlementDelayMs: 60_000 });
    const p = instruction();
    const [first] = (await bank.client.submitBatch({ batchId: 'b', payments: [p] })).results;
    const before = await bank.admin.ledger();

    const conflicting = [
      { ...p, amountFen: p.amountFen + 1 },
      { ...p, accountNo: '6217000099999999999' },
      { ...p, bankCode: 'CCB' },
    ];
    const answer = await bank.client.submitBatch({ batchId: 'conflict', payments: conflicting });
    for (const result of answer.results) {
      expect(result).toEqual({
        idempotencyKey: p.idempotencyKey,
        paymentId: first!.paymentId,
        status: 'rejected',
        reason: 'idempotency_conflict',
      });
    }
    // Name and memo are not what makes a payment: the same account and amount is the same payment.
    expect(
      (
        await bank.client.submitBatch({
          batchId: 'renamed',
          payments: [{ ...p, accountName: '张 桂兰', memo: 'retry' }],
        })
      ).results,
    ).toEqual([first]);

    const after = await bank.admin.ledger();
    expect(after.entries).toEqual(before.entries);
    expect(after.counts).toMatchObject({ entries: 1, submittedRecords: 1, conflictsRefused: 3 });
  });

  it('treats a key repeated inside one batch as one payment', async () => {
    bank = await startBank();
    const p = instruction();
    const { results } = await bank.client.submitBatch({ batchId: 'dup', payments: [p, p, { ...p, amountFen: 1 }] });
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'rejected']);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]?.reason).toBe('idempotency_conflict');
    expect((await bank.admin.ledger()).counts).toMatchObject({ entries: 1, submittedRecords: 1 });
  });

  it('rejects invalid accounts at submission: bad format, unknown bank, or marked invalid', async () => {
    bank = await startBank({ faults: { invalidAccounts: ['6217000011112222333'] } });
    const good = instruction();
    const payments = [
      instruction({ accountNo: '6217-0000-1111' }),
      instruction({ accountNo: '123' }),
      instruction({ bankCode: 'NOSUCHBANK' }),
      instruction({ bankCode: '' }),
      instruction({ accountNo: '6217000011112222333' }),
      good,
      instruction({ bankCode: '102100099996' }), // a CNAPS line number of ICBC
    ];
    const { results } = await bank.client.submitBatch({ batchId: 'mixed', payments });
    expect(results.map((r) => r.reason ?? r.status)).toEqual([
      'invalid_account',
      'invalid_account',
      'invalid_account',
      'invalid_account',
      'invalid_account',
      'accepted',
      'accepted',
    ]);
    // A rejected instruction is no payment: a status query does not find it, and it never settles.
    expect(await bank.client.getPayment(payments[0]!.idempotencyKey)).toBeUndefined();
    await bank.admin.settle();
    const ledger = await bank.admin.ledger();
    expect(ledger.counts).toMatchObject({ rejected: 5, settled: 2 });
    expect(ledger.settledFen).toBe(good.amountFen + payments[6]!.amountFen);
  });

  it('turns a malformed request into BankRejectedError without echoing account numbers', async () => {
    bank = await startBank();
    const p = instruction({ amountFen: 12.5 });
    const error = await bank.client.submitBatch({ batchId: 'bad', payments: [p] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BankRejectedError);
    expect((error as BankRejectedError).status).toBe(400);
    expect((error as Error).message).toContain('payments.0.amountFen');
    expect((error as Error).message).not.toContain(p.accountNo);
    expect((await bank.admin.ledger()).counts.entries).toBe(0);
  });
});

describe('bank gateway: settlement', () => {
  it('settles accepted payments asynchronously, queried one by one or thousands at once', async () => {
    bank = await startBank({ settlementDelayMs: 3_000, chunkSize: 1_000 });
    const payments = Array.from({ length: 2_500 }, () => instruction());
    const { results } = await bank.client.submitBatch({ batchId: 'big', payments });
    expect(results).toHaveLength(2_500);
    expect(results.every((r, i) => r.status === 'accepted' && r.idempotencyKey === payments[i]!.idempotencyKey)).toBe(
      true,
    );
    // Three requests of at most 1000, each recorded under its own chunk id.
    expect(new Set((await bank.admin.ledger()).entries.map((e) => e.batchId))).toEqual(
      new Set(['big/0', 'big/1', 'big/2']),
    );

    const keys = payments.map((p) => p.idempotencyKey);
    const early = await bank.client.queryPayments(keys);
    expect(early).toHaveLength(2_500);
    expect(early.every((s) => s.status === 'pending' && s.settledAt === undefined)).toBe(true);

    const settled = await until(
      () => bank!.client.queryPayments(keys),
      (s) => s.every((x) => x.status === 'settled'),
      30_000,
    );
    expect(settled.every((s) => s.status === 'settled' && typeof s.settledAt === 'string')).toBe(true);
    expect(settled[7]).toMatchObject({
      idempotencyKey: keys[7],
      paymentId: results[7]!.paymentId,
      amountFen: payments[7]!.amountFen,
    });

    const single = await fetch(`${bank.url}/v1/payments/${encodeURIComponent(keys[0]!)}`);
    expect(await single.json()).toMatchObject({
      idempotencyKey: keys[0],
      status: 'settled',
      amountFen: payments[0]!.amountFen,
    });
    expect((await fetch(`${bank.url}/v1/payments/nope`)).status).toBe(404);

    const ledger = await bank.admin.ledger();
    expect(ledger.counts).toMatchObject({ entries: 2_500, settled: 2_500, pending: 0 });
    expect(ledger.settledFen).toBe(payments.reduce((sum, p) => sum + p.amountFen, 0));
  });

  it('fails a payment to a closed account; after reopening, a re-issue under a new key pays once in total', async () => {
    bank = await startBank();
    const paymentId = 'pay-2025Q3-411002-0001';
    const original = instruction({ idempotencyKey: `${paymentId}:attempt-1`, accountNo: '6217000012345678901' });
    await bank.admin.close(original.accountNo);

    // Accepted at submission: the bank learns the account is closed only when it settles.
    expect((await bank.client.submitBatch({ batchId: 'q3', payments: [original] })).results[0]?.status).toBe(
      'accepted',
    );
    const [failed] = await until(
      () => bank!.client.queryPayments([original.idempotencyKey]),
      (s) => s[0]?.status !== 'pending',
    );
    expect(failed).toMatchObject({ status: 'failed', reason: 'account_closed' });

    // Retrying the failed attempt under its old key changes nothing: the key's answer is final.
    expect((await bank.client.submitBatch({ batchId: 'q3-retry', payments: [original] })).results[0]?.status).toBe(
      'accepted',
    );
    await bank.admin.settle();
    expect((await bank.client.getPayment(original.idempotencyKey))?.status).toBe('failed');

    await bank.admin.reopen(original.accountNo);
    const reissue = { ...original, idempotencyKey: `${paymentId}:attempt-2` };
    expect((await bank.client.submitBatch({ batchId: 'q3-reissue', payments: [reissue] })).results[0]?.status).toBe(
      'accepted',
    );
    // The re-issue itself retried (a lost answer, say) is still one payment.
    await bank.client.submitBatch({ batchId: 'q3-reissue', payments: [reissue] });
    const [paid] = await until(
      () => bank!.client.queryPayments([reissue.idempotencyKey]),
      (s) => s[0]?.status === 'settled',
    );
    expect(paid?.status).toBe('settled');

    const account = await bank.admin.byAccount(original.accountNo);
    expect(account.closed).toBe(false);
    expect(account.entries.map((e) => [e.idempotencyKey, e.status])).toEqual([
      [original.idempotencyKey, 'failed'],
      [reissue.idempotencyKey, 'settled'],
    ]);
    expect(account.entries.filter((e) => e.status === 'settled').reduce((sum, e) => sum + e.amountFen, 0)).toBe(
      original.amountFen,
    );
  });
});
