import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { subsidyCycleWorkflow } from '../../app/workflows';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import type { PersonVault } from '../../platform/db/person-vault';
import { storeUpload } from '../../subsidy/adapters/uploads';
import type { CycleSummary } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// A bulk activity that fails half-way resumes from its checkpoint: the ingest commits its rows in
// chunks (500 here), the vault — a dependency every valid row goes through — fails once after 1,800
// rows, Temporal retries the activity, and the retry reads fewer rows than the file holds.
// Quarter 2023Q4: test files share one Temporal namespace, and a cycle's workflow id is its quarter.
const quarter = '2023Q4';
const taskQueue = 'test-ingest-checkpoint';
const ROWS = 3_000;
const FAIL_AFTER = 1_800;
let world: SubsidyTestWorld;
let worker: RunningWorker;
const calls = { total: 0, afterFailure: 0, failed: false };

beforeAll(async () => {
  world = await createSubsidyWorld('ingest_checkpoint');
  const real = world.deps.vault;
  // A test double of the vault: the real keyed hash, and one failure (a lost dependency) mid-file.
  const vault = Object.create(real) as PersonVault;
  vault.personRef = (idNumber: string) => {
    calls.total++;
    if (calls.failed) calls.afterFailure++;
    else if (calls.total === FAIL_AFTER) {
      calls.failed = true;
      throw new Error('vault unavailable (test double)');
    }
    return real.personRef(idNumber);
  };
  worker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { ...world.deps, vault, ingestCheckpointRows: 500 },
  });
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.close();
});

it('an ingest that fails half-way resumes after its last committed chunk, and loads every row once', async () => {
  const files = await writeSyntheticSubsidyData({
    dir: path.join(world.workDir, 'input'),
    quarter,
    rows: ROWS,
    rosterSize: 600,
    seed: 13,
  });
  await importRoster(world.deps, files.roster, 'test');
  const upload = await storeUpload(world.deps, files.hospitalizations);
  const handle = await world.client.workflow.start(subsidyCycleWorkflow, {
    taskQueue,
    workflowId: `subsidy-cycle-${quarter}`,
    args: [
      { quarter, extractHash: upload.hash, autoApprove: true, timing: { pollInterval: 200, maxPollInterval: 1_000 } },
    ],
  });
  const summary = (await handle.result()) as CycleSummary;

  expect(calls.failed).toBe(true);
  const loaded = await sql<{ rows: string; lines: string; valid: string }>`
    select count(*) as rows, count(distinct line_no) as lines, count(*) filter (where person_ref is not null) as valid
      from extract_rows where extract_hash = ${upload.hash}`.execute(world.testDb.db);
  const { rows, lines, valid } = loaded.rows[0]!;
  expect(Number(rows)).toBe(ROWS);
  expect(Number(lines)).toBe(ROWS);
  expect(summary.rows.total).toBe(ROWS);
  expect(summary.balanced).toBe(true);
  // The retry went through only the rows after the last committed chunk (1,500 of them here),
  // not the whole file again.
  console.log(`valid rows ${valid}; vault calls: ${FAIL_AFTER} before the failure, ${calls.afterFailure} on the retry`);
  expect(calls.afterFailure).toBeLessThan(Number(valid));
  expect(calls.afterFailure).toBeLessThanOrEqual(Number(valid) - 1_500 + 2 * 500);

  const history = await handle.fetchHistory();
  const ingestAttempts = history
    .events!.filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(ingestAttempts).toContain(2);
}, 180_000);
