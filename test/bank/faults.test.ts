import { afterEach, describe, expect, it } from 'vitest';
import { BankUnavailableError } from '../../platform/adapters/bank';
import { type Bank, instruction, startBank } from './helpers';

let bank: Bank | undefined;
afterEach(async () => {
  await bank?.close();
  bank = undefined;
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('bank gateway faults, through the real client', () => {
  it('surfaces 500 and 503 as BankUnavailableError, recording nothing', async () => {
    bank = await startBank();
    await bank.admin.faults({
      rules: [
        { effect: 'error_500', next: 1 },
        { effect: 'error_503', next: 1 },
      ],
    });
    const p = instruction();
    const first = await failure(bank.client.submitBatch({ batchId: 'b', payments: [p] }));
    expect(first).toBeInstanceOf(BankUnavailableError);
    expect((first as BankUnavailableError).status).toBe(500);
    const second = await failure(bank.client.queryPayments([p.idempotencyKey]));
    expect(second).toBeInstanceOf(BankUnavailableError);
    expect((second as BankUnavailableError).status).toBe(503);
    expect((await bank.admin.ledger()).counts.entries).toBe(0);
    // The faults are spent: the same request now goes through.
    expect((await bank.client.submitBatch({ batchId: 'b', payments: [p] })).results[0]?.status).toBe('accepted');
  });

  it('surfaces a hung request as BankUnavailableError after the client timeout', async () => {
    bank = await startBank({
      timeoutMs: 250,
      faults: { hangMs: 10_000, rules: [{ effect: 'timeout', on: 'submit', next: 1 }] },
    });
    const started = Date.now();
    const error = await failure(bank.client.submitBatch({ batchId: 'b', payments: [instruction()] }));
    expect(error).toBeInstanceOf(BankUnavailableError);
    expect((error as Error).message).toContain('no answer within 250 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await bank.admin.ledger()).counts.entries).toBe(0);
  });

  it.each(['commit_then_503', 'commit_then_reset', 'commit_then_timeout'] as const)(
    '%s: the payment is recorded but the answer lost; a retry under the same keys gets the first answer, one ledger entry each',
    async (effect) => {
      bank = await startBank({ timeoutMs: 250, faults: { hangMs: 10_000 } });
      await bank.admin.faults({ rules: [{ effect, on: 'submit', next: 2 }] });
      const payments = [instruction(), instruction(), instruction()];
      const batch = { batchId: 'q3-411002', payments };

      // Two attempts lost after commit: the caller cannot know whether the bank took them.
      for (let attempt = 0; attempt < 2; attempt++) {
        expect(await failure(bank.client.submitBatch(batch))).toBeInstanceOf(BankUnavailableError);
      }
      const recorded = await bank.admin.ledger();
      expect(recorded.counts).toMatchObject({ entries: 3, submittedRecords: 3 });

      const { results } = await bank.client.submitBatch(batch);
      expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
      // The answer names the payments recorded by the first, lost, attempt.
      expect(results.map((r) => r.paymentId)).toEqual(recorded.entries.map((e) => e.paymentId));

      await bank.admin.settle();
      const ledger = await bank.admin.ledger();
      expect(ledger.counts).toMatchObject({ entries: 3, submittedRecords: 3, settled: 3 });
      expect(ledger.settledFen).toBe(payments.reduce((sum, p) => sum + p.amountFen, 0));
    },
  );

  it('draws probabilistic faults from a seeded PRNG: the same seed strikes the same requests', async () => {
    const pattern = async (seed: number) => {
      const b = await startBank({ faults: { seed, rules: [{ effect: 'error_503', probability: 0.4 }] } });
      const outcomes: string[] = [];
      for (let i = 0; i < 25; i++) {
        const error = await failure(b.client.queryPayments(['k']));
        outcomes.push(error ? 'x' : '.');
      }
      await b.close();
      return outcomes.join('');
    };
    const a = await pattern(42);
    expect(await pattern(42)).toBe(a);
    expect(a).toContain('x');
    expect(a).toContain('.');
    expect(await pattern(7)).not.toBe(a);
  });

  it('keeps retrying safe under random faults: every payment recorded exactly once', async () => {
    bank = await startBank({
      timeoutMs: 200,
      faults: {
        seed: 2025,
        hangMs: 5_000,
        rules: [
          { effect: 'commit_then_reset', on: 'submit', probability: 0.2 },
          { effect: 'error_503', probability: 0.1 },
          { effect: 'commit_then_timeout', on: 'submit', probability: 0.05 },
        ],
      },
      chunkSize: 100,
    });
    const payments = Array.from({ length: 300 }, () => instruction());
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        await bank.client.submitBatch({ batchId: 'chaos', payments });
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(BankUnavailableError);
        if (attempts > 60) throw error;
      }
    }
    expect(attempts).toBeGreaterThan(1);
    await bank.admin.faults({ rules: [] });
    await bank.admin.settle();
    const ledger = await bank.admin.ledger();
    expect(ledger.counts).toMatchObject({ entries: 300, submittedRecords: 300, settled: 300 });
    expect(new Set(ledger.entries.map((e) => e.idempotencyKey)).size).toBe(300);
    expect(ledger.settledFen).toBe(payments.reduce((sum, p) => sum + p.amountFen, 0));
  });

  it('never applies faults to the admin endpoints', async () => {
    bank = await startBank({ faults: { rules: [{ effect: 'error_503', probability: 1 }] } });
    expect((await bank.admin.ledger()).counts.entries).toBe(0);
    const state = (await bank.admin.faults({})) as { rules: unknown[]; struck: Record<string, number> };
    expect(state.rules).toHaveLength(1);
  });
});
