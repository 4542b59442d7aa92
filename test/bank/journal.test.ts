import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBankClient } from '../../platform/adapters/bank';
import { redactUrl } from '../../simulators/bank-gateway';
import { freePort } from '../support/ports';
import { type Bank, instruction, startBank, until } from './helpers';

let bank: Bank | undefined;
afterEach(async () => {
  await bank?.close();
  bank = undefined;
});

describe('bank gateway journal', () => {
  it('replays its journal on restart: the ledger, first answers and closed accounts survive', async () => {
    bank = await startBank({ settlementDelayMs: 30 });
    const settled = instruction();
    const toClosed = instruction();
    const invalid = instruction({ bankCode: 'NOSUCHBANK' });
    await bank.admin.close(toClosed.accountNo);
    const first = await bank.client.submitBatch({ batchId: 'before', payments: [settled, toClosed, invalid] });
    await until(
      () => bank!.admin.ledger(),
      (l) => l.counts.pending === 0,
    );
    const before = await bank.admin.ledger();
    expect(before.counts).toMatchObject({ entries: 3, settled: 1, failed: 1, rejected: 1 });

    await bank.restart();
    expect(await bank.admin.ledger()).toEqual(before);
    expect(
      (await bank.client.submitBatch({ batchId: 'after', payments: [settled, toClosed, invalid] })).results,
    ).toEqual(first.results);
    expect((await bank.admin.byAccount(toClosed.accountNo)).closed).toBe(true);
    // New payments continue the numbering instead of reusing a payment id.
    const [next] = (await bank.client.submitBatch({ batchId: 'new', payments: [instruction()] })).results;
    expect(first.results.map((r) => r.paymentId)).not.toContain(next?.paymentId);
  });

  it('settles after a restart what was still pending when the bank stopped', async () => {
    bank = await startBank({ settlementDelayMs: 60_000 });
    const payments = [instruction(), instruction()];
    await bank.client.submitBatch({ batchId: 'slow', payments });
    await bank.restart({ settlementDelayMs: 30 });
    const statuses = await until(
      () => bank!.client.queryPayments(payments.map((p) => p.idempotencyKey)),
      (s) => s.every((x) => x.status === 'settled'),
    );
    expect(statuses.map((s) => s.status)).toEqual(['settled', 'settled']);
    expect((await bank.admin.ledger()).counts).toMatchObject({ entries: 2, submittedRecords: 2, settled: 2 });
  });

  it('cuts a torn last line left by a crash mid-write, and keeps everything before it', async () => {
    bank = await startBank();
    const p = instruction();
    await bank.client.submitBatch({ batchId: 'b', payments: [p] });
    await bank.admin.settle();
    appendFileSync(path.join(bank.dir, 'ledger.jsonl'), '{"t":"payment.submitted","at":"2025-');
    await bank.restart();
    expect((await bank.admin.ledger()).counts).toMatchObject({ entries: 1, settled: 1 });
    const q = instruction();
    await bank.client.submitBatch({ batchId: 'c', payments: [q] });
    await bank.restart();
    expect((await bank.admin.ledger()).counts).toMatchObject({ entries: 2 });
  });

  it('survives SIGKILL of its process: everything acknowledged is in the ledger after restart, once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bank-kill-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const client = createBankClient({ baseUrl: url, timeoutMs: 2_000 });
    let child = await runSimulator(dir, port);
    try {
      const payments = Array.from({ length: 1_500 }, () => instruction());
      const first = await client.submitBatch({ batchId: 'kill', payments });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      child = await runSimulator(dir, port);
      const again = await client.submitBatch({ batchId: 'kill-retry', payments });
      expect(again.results).toEqual(first.results);
      await fetch(`${url}/admin/settle`, { method: 'POST' });
      const ledger = (await (await fetch(`${url}/admin/ledger?entries=false`)).json()) as {
        counts: Record<string, number>;
        settledFen: number;
        entries?: unknown;
      };
      expect(ledger.entries).toBeUndefined();
      expect(ledger.counts).toMatchObject({ entries: 1_500, submittedRecords: 1_500, settled: 1_500 });
      expect(ledger.settledFen).toBe(payments.reduce((sum, p) => sum + p.amountFen, 0));
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps account numbers out of its journal and masks them in logged URLs', async () => {
    bank = await startBank();
    const p = instruction({ accountNo: '6217000055556666777' });
    await bank.admin.close(p.accountNo);
    await bank.client.submitBatch({ batchId: 'b', payments: [p] });
    await bank.admin.settle();
    const journal = readFileSync(path.join(bank.dir, 'ledger.jsonl'), 'utf8');
    expect(journal).not.toContain(p.accountNo);
    expect(journal).not.toContain(p.accountName);
    expect(journal).toContain('***************6777');
    expect(JSON.stringify(await bank.admin.ledger())).not.toContain(p.accountNo);
    expect(redactUrl(`/admin/accounts/${p.accountNo}/close`)).toBe('/admin/accounts/***************6777/close');
  });
});

/** The simulator as its own process (main.ts), so it can be killed like a real crash. */
async function runSimulator(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('simulators/bank-gateway/main.ts')], {
    env: { ...process.env, BANK_SIM_DIR: dir, BANK_SIM_PORT: String(port), BANK_SIM_SETTLEMENT_MS: '60000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`simulator exited: ${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`simulator did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
