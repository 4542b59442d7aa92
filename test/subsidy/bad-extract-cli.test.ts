import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import { STAGE } from '../../platform/temporal/search-attributes';
import { recordHistory } from '../support/histories';
import { collect, type Finished, spawnCli } from '../support/stack-process';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// CONTRACT.md "Bad files", as a user meets it: `subsidy cycle run` with a GBK extract exits non-zero
// within a minute naming the encoding, and pays nothing; with a file missing a column, it names the
// column; the same command with the UTF-8 file hands it to the waiting cycle, which completes. Each
// command is its own process with its own DATA_DIR: the uploads reach the workers through PostgreSQL.
// Quarter 2023Q3: test files share one Temporal namespace, and a cycle's workflow id is its quarter.
const quarter = '2023Q3';
const cycleId = `subsidy-cycle-${quarter}`;
const taskQueue = 'test-bad-extract-cli';
let world: SubsidyTestWorld;
let files: { roster: string; utf8: string; gbk: string; missing: string };

/** Runs the command; `ms` from launch to exit, `afterStartMs` from the cycle's start (or hand-over) to exit. */
function runCli(extract: string, withRoster: boolean): Promise<Finished & { ms: number; afterStartMs: number }> {
  const started = performance.now();
  let cycleAt = Number.NaN;
  const child = spawnCli(
    [
      'subsidy',
      'cycle',
      'run',
      '--quarter',
      quarter,
      '--hospitalizations',
      extract,
      '--auto-approve',
      ...(withRoster ? ['--roster', files.roster] : []),
      '--payments-out',
      path.join(world.workDir, 'out', 'payments.csv'),
    ],
    {
      DATA_DIR: path.join(world.workDir, 'cli-data'),
      DATABASE_URL: world.testDb.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BANK_GATEWAY_URL: world.bankUrl,
      PII_KEY: world.piiKey,
      LOG_LEVEL: 'warn',
    },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    if (Number.isNaN(cycleAt) && /cycle subsidy-cycle-\S+ (started|was waiting)/.test(chunk.toString()))
      cycleAt = performance.now();
  });
  return collect(child).exited.then((finished) => {
    const now = performance.now();
    return { ...finished, ms: now - started, afterStartMs: now - cycleAt };
  });
}

async function paymentsInstructed(): Promise<number> {
  const rows = await sql<{
    n: string;
  }>`select count(*) as n from events where type in ('PaymentsInstructed', 'EntitlementsComputed')`.execute(
    world.testDb.db,
  );
  return Number(rows.rows[0]!.n);
}

beforeAll(async () => {
  world = await createSubsidyWorld('bad_extract_cli');
  const dir = path.join(world.workDir, 'input');
  const synthetic = await writeSyntheticSubsidyData({ dir, quarter, rows: 400, rosterSize: 120, seed: 5 });
  const text = readFileSync(synthetic.hospitalizations, 'utf8');
  mkdirSync(dir, { recursive: true });
  const gbk = path.join(dir, 'extract-gbk.csv');
  writeFileSync(gbk, execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text }));
  const missing = path.join(dir, 'extract-missing.csv');
  writeFileSync(
    missing,
    text
      .split('\n')
      .map((l) =>
        l
          .split(',')
          .filter((_, i) => i !== 3)
          .join(','),
      )
      .join('\n'),
  );
  files = { roster: synthetic.roster, utf8: synthetic.hospitalizations, gbk, missing };
});
afterAll(async () => {
  await world.client.workflow
    .getHandle(cycleId)
    .terminate('test over')
    .catch(() => {});
  await world?.close();
});

it('a GBK extract is refused within a minute naming the encoding; a missing column is named; the UTF-8 file then completes the same cycle', async () => {
  const gbk = await runCli(files.gbk, true);
  expect(gbk.code, gbk.stderr).not.toBe(0);
  const reason = gbk.stderr.trim().split('\n').at(-1)!;
  console.log(
    `GBK extract refused ${(gbk.afterStartMs / 1000).toFixed(1)} s after the cycle started (${(gbk.ms / 1000).toFixed(1)} s with the stack's start): ${reason}`,
  );
  // The verdict itself takes seconds; starting the stack (worker bundle, on a fresh DATA_DIR) is the
  // rest, and on a machine at load 18 it alone took over a minute.
  expect(gbk.afterStartMs).toBeLessThan(30_000);
  expect(gbk.ms).toBeLessThan(180_000);
  expect(reason).toContain('extract-gbk.csv');
  expect(reason).toMatch(/line 2, column name: file is GB18030\/GBK, not UTF-8: re-save as UTF-8/);
  expect(await paymentsInstructed()).toBe(0);
  // No worker runs between commands: the stage is read from the search attribute the operator filters on.
  const waiting = await world.client.workflow.getHandle(cycleId).describe();
  expect(waiting.status.name).toBe('RUNNING');
  expect(waiting.typedSearchAttributes.get(STAGE)).toBe('extract_rejected');
  const notices = (await world.deps.store.readStream(cycleId)).filter((e) => e.data.notice === 'ExtractRejected');
  expect(notices.map((e) => e.data.reason)).toEqual([expect.stringMatching(/GB18030\/GBK/)]);

  const missing = await runCli(files.missing, false);
  expect(missing.code, missing.stderr).not.toBe(0);
  expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/extract-missing\.csv: line 1: missing column hospital/);
  expect(await paymentsInstructed()).toBe(0);

  const good = await runCli(files.utf8, false);
  expect(good.code, good.stderr).toBe(0);
  expect(good.stderr).toContain('was waiting for its extract');
  expect(good.stdout).toMatch(/reconciliation balanced/);
  expect(good.stdout).toMatch(/cycle subsidy-cycle-2023Q3: 400 rows/);
  const description = await world.client.workflow.getHandle(cycleId).describe();
  expect(description.status.name).toBe('COMPLETED');
  // Kept for test/replay: a history with a rejected extract, then a corrected one.
  await recordHistory(world.client, cycleId, 'subsidy-cycle-extract-rejected');
}, 240_000);
