import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { subsidyCycleWorkflow } from '../../app/workflows';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import { repoRoot } from '../../platform/config';
import { storeUpload } from '../../subsidy/adapters/uploads';
import type { CycleSummary } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { waitForOutput } from '../support/stack-process';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// Quarter 2025Q2: test files share one Temporal namespace, and a cycle's workflow id is its quarter.
// The worker is killed with SIGKILL while payments are in flight; a new worker finishes the cycle.
// The bank's own ledger must show every payment exactly once, and the reconciliation must balance.
const taskQueue = 'test-worker-crash';
let world: SubsidyTestWorld;
const workers: ChildProcess[] = [];
let workerOutput = '';

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'app/main/worker.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATA_DIR: path.join(world.workDir, 'worker-data'),
      DATABASE_URL: world.testDb.url,
      UPLOADS_DIR: world.deps.uploadsDir,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BANK_GATEWAY_URL: world.bankUrl,
      PII_KEY: world.piiKey,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  child.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  return child;
}

beforeAll(async () => {
  // Slow settlement keeps payments pending long enough to kill the worker among them.
  world = await createSubsidyWorld('worker_crash', { settlementDelayMs: 1_500 });
  const files = await writeSyntheticSubsidyData({
    dir: path.join(world.workDir, 'input'),
    quarter: '2025Q2',
    rows: 3_000,
    rosterSize: 600,
    seed: 11,
  });
  await importRoster(world.deps, files.roster, 'test');
  const extract = await storeUpload(world.deps, files.hospitalizations);
  await world.client.workflow.start(subsidyCycleWorkflow, {
    taskQueue,
    workflowId: 'subsidy-cycle-2025Q2',
    args: [
      {
        quarter: '2025Q2',
        extractHash: extract.hash,
        autoApprove: true,
        timing: { pollInterval: 300, maxPollInterval: 2_000 },
      },
    ],
  });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await world?.close();
});

it('a worker killed with SIGKILL during payment pays nobody twice', async () => {
  const first = startWorkerProcess();
  await waitForOutput(first, /worker polling/);
  // Wait until the bank has accepted some payments, then kill the worker without warning.
  for (let i = 0; ; i++) {
    const accepted = await sql<{ n: string }>`select count(*) as n from events where type = 'PaymentsAccepted'`.execute(
      world.testDb.db,
    );
    if (Number(accepted.rows[0]!.n) > 0) break;
    if (i > 600) throw new Error(`payment never started; worker said:\n${workerOutput.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  const second = startWorkerProcess();
  await waitForOutput(second, /worker polling/);
  const summary = (await world.client.workflow.getHandle('subsidy-cycle-2025Q2').result()) as CycleSummary;
  expect(summary.balanced).toBe(true);
  const approved = summary.reconciliation.reduce((n, l) => n + l.approved, 0);
  const settled = summary.reconciliation.reduce((n, l) => n + l.settled, 0);
  const approvedFen = summary.reconciliation.reduce((n, l) => n + l.approvedFen, 0);
  expect(approved).toBeGreaterThan(100);

  const ledger = (await (await fetch(`${world.bankUrl}/admin/ledger`)).json()) as {
    counts: { entries: number; submittedRecords: number; settled: number };
    settledFen: number;
    entries: { idempotencyKey: string; status: string }[];
  };
  // One ledger entry per payment, recorded once, all settled: exactly once, money to the fen.
  expect(ledger.counts.entries).toBe(approved);
  expect(ledger.counts.submittedRecords).toBe(approved);
  expect(ledger.counts.settled).toBe(settled);
  expect(ledger.settledFen).toBe(approvedFen);
  expect(new Set(ledger.entries.map((e) => e.idempotencyKey.split('#')[0])).size).toBe(approved);
}, 240_000);
