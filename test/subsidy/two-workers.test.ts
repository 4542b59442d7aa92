import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
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

// Quarter 2023Q2 (no other test uses it: a cycle's workflow id is its quarter, one namespace for all).
// Two worker processes that share nothing but PostgreSQL and Temporal — each its own DATA_DIR,
// UPLOADS_DIR and working directory — run one whole auto-approved cycle on one task queue.
// The extract is stored in PostgreSQL by this process, so no worker can find it in a folder.
const quarter = '2023Q2';
const workflowId = `subsidy-cycle-${quarter}`;
const taskQueue = 'test-two-workers';
// By absolute path: the workers' cwd is a temp folder where `--import tsx` would not resolve.
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let world: SubsidyTestWorld;
interface WorkerProcess {
  child: ChildProcess;
  home: string;
  uploadsDir: string;
  output: string;
}
const workers: WorkerProcess[] = [];

function startWorkerProcess(name: string): WorkerProcess {
  const home = path.join(world.workDir, name);
  const uploadsDir = path.join(home, 'uploads');
  mkdirSync(home, { recursive: true });
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'app/main/worker.ts')], {
    cwd: home,
    env: {
      ...process.env,
      DATA_DIR: path.join(home, 'data'),
      UPLOADS_DIR: uploadsDir,
      DATABASE_URL: world.testDb.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BANK_GATEWAY_URL: world.bankUrl,
      PII_KEY: world.piiKey,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: WorkerProcess = { child, home, uploadsDir, output: '' };
  child.stderr?.on('data', (chunk: Buffer) => (worker.output += chunk.toString()));
  workers.push(worker);
  return worker;
}

/** Every ActivityTaskStarted of a workflow: who ran it, which activity, which attempt. */
async function activitiesRun(client: Client, id: string) {
  const history = await client.workflow.getHandle(id).fetchHistory();
  const names = new Map<string, string>();
  const runs: { workflowId: string; activity: string; identity: string; attempt: number }[] = [];
  const children: string[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      runs.push({
        workflowId: id,
        activity: names.get(String(started.scheduledEventId)) ?? '?',
        identity: started.identity ?? '',
        attempt: started.attempt ?? 1,
      });
    }
    const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    if (child) children.push(child);
  }
  return { runs, children };
}

beforeAll(async () => {
  world = await createSubsidyWorld('two_workers');
  const files = await writeSyntheticSubsidyData({
    dir: path.join(world.workDir, 'input'),
    quarter,
    rows: 3_000,
    rosterSize: 600,
    seed: 23,
  });
  await importRoster(world.deps, files.roster, 'test');
  const extract = await storeUpload(world.deps, files.hospitalizations);
  // Both workers poll before the cycle starts, so neither gets a head start on the work.
  const a = startWorkerProcess('worker-a');
  const b = startWorkerProcess('worker-b');
  await Promise.all([waitForOutput(a.child, /worker polling/), waitForOutput(b.child, /worker polling/)]);
  await world.client.workflow.start(subsidyCycleWorkflow, {
    taskQueue,
    workflowId,
    args: [
      { quarter, extractHash: extract.hash, autoApprove: true, timing: { pollInterval: 300, maxPollInterval: 2_000 } },
    ],
  });
}, 300_000);
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await world?.close();
});

it('two shared-nothing worker processes split one cycle and do nothing twice', async () => {
  const summary = (await world.client.workflow.getHandle(workflowId).result()) as CycleSummary;
  expect(summary.balanced).toBe(true);
  const approved = summary.reconciliation.reduce((n, l) => n + l.approved, 0);
  const settled = summary.reconciliation.reduce((n, l) => n + l.settled, 0);
  const approvedFen = summary.reconciliation.reduce((n, l) => n + l.approvedFen, 0);
  expect(approved).toBeGreaterThan(50);

  // Work spread: the activities of the cycle and its per-county children ran on both processes.
  const cycle = await activitiesRun(world.client, workflowId);
  const runs = [...cycle.runs];
  for (const child of cycle.children) runs.push(...(await activitiesRun(world.client, child)).runs);
  const [a, b] = workers as [WorkerProcess, WorkerProcess];
  const ranOn = (w: WorkerProcess) => runs.filter((r) => r.identity.startsWith(`${w.child.pid}@`));
  console.log(
    `activities: ${runs.length}, worker a ${ranOn(a).length}, worker b ${ranOn(b).length}, retried ${runs.filter((r) => r.attempt > 1).length}`,
  );
  expect(runs.length).toBeGreaterThan(10);
  expect(ranOn(a).length, `activities per identity: ${JSON.stringify(runs.map((r) => r.identity))}`).toBeGreaterThan(0);
  expect(ranOn(b).length, `activities per identity: ${JSON.stringify(runs.map((r) => r.identity))}`).toBeGreaterThan(0);
  expect(ranOn(a).length + ranOn(b).length).toBe(runs.length);
  // The ingest (reading the stored extract) ran on one of them, whichever: the other never needed a file of its own.
  expect(runs.some((r) => /ingest/i.test(r.activity))).toBe(true);

  // Nothing twice, by the bank's own ledger: one entry per approved payment, each settled once, to the fen.
  const ledger = (await (await fetch(`${world.bankUrl}/admin/ledger`)).json()) as {
    counts: { entries: number; submittedRecords: number; settled: number };
    settledFen: number;
    entries: { idempotencyKey: string }[];
  };
  expect(ledger.counts.entries).toBe(approved);
  expect(ledger.counts.submittedRecords).toBe(approved);
  expect(ledger.counts.settled).toBe(settled);
  expect(ledger.settledFen).toBe(approvedFen);
  expect(new Set(ledger.entries.map((e) => e.idempotencyKey.split('#')[0])).size).toBe(approved);

  // Nothing twice, by the event store: no two events of one stream carry the same type and data.
  const duplicates = await sql<{ stream_id: string; type: string; n: string }>`
    select stream_id, type, count(*) as n from events group by stream_id, type, data::text having count(*) > 1`.execute(
    world.testDb.db,
  );
  expect(duplicates.rows).toEqual([]);

  // Shared nothing: the extract came from PostgreSQL, so neither worker's upload folder holds a file.
  for (const w of workers) {
    expect(existsSync(w.uploadsDir) ? readdirSync(w.uploadsDir) : []).toEqual([]);
    expect(w.child.exitCode).toBeNull(); // both still alive: neither crashed into a retry on the other
  }
}, 300_000);
