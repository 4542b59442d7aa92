import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replayWorkflow } from '../../app/audit/replay';
import { allProjections } from '../../app/projections';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { systemCheckWorkflow } from '../../app/workflows';
import { repoRoot } from '../../platform/config';
import { EventStore } from '../../platform/eventstore';
import { dataConverter } from '../../platform/temporal/client';
import { subsidyEvent } from '../../subsidy/context';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { collect, spawnCli } from '../support/stack-process';

// The auditors' command line exactly as ../shared/CONTRACT.md states it, run as a child process
// against a real database (DATABASE_URL) and the test run's Temporal server (TEMPORAL_ADDRESS).
let testDb: TestDatabase;
let store: EventStore;
let worker: RunningWorker;
let client: Client;
let workDir: string;
let env: Record<string, string>;
const taskQueue = `test-audit-cli-${Date.now()}`;
const workflowId = `system-check-audit-cli-${Date.now()}`;

beforeAll(async () => {
  testDb = await createTestDatabase('audit_cli');
  store = new EventStore(testDb.db, allProjections);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-audit-cli-'));
  env = {
    DATABASE_URL: testDb.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATA_DIR: workDir,
    LOG_LEVEL: 'silent',
  };
  for (const [quarter, jurisdiction, amountFen] of [
    ['2025Q3', '411002', 300_000],
    ['2025Q3', '411003', 150_050],
    ['2025Q4', '411002', 99_900],
  ] as const) {
    const cycleId = `subsidy-cycle-${quarter}`;
    const cityShareFen = Math.floor((amountFen * 40 + 50) / 100);
    await store.append(
      `${cycleId}:funding:${jurisdiction}`,
      [
        subsidyEvent(
          'FundingRequested',
          { cycleId, jurisdiction, payments: 2, amountFen, cityShareFen, countyShareFen: amountFen - cityShareFen },
          cycleId,
          jurisdiction,
        ),
      ],
      { metadata: { actor: 'test:audit-cli' } },
    );
  }
  worker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { store } as never,
  });
  client = new Client({
    connection: await Connection.connect({ address: inject('temporalAddress') }),
    dataConverter: dataConverter(),
  });
  await client.workflow.execute(systemCheckWorkflow, {
    taskQueue,
    workflowId,
    args: [{ requestedBy: 'audit-cli-test' }],
  });
});
afterAll(async () => {
  await worker?.shutdown();
  await client?.connection.close();
  await testDb?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const cli = (...args: string[]) => collect(spawnCli(args, env)).exited;
const lastLine = (s: string) => s.trim().split('\n').at(-1);

describe('audit CLI', () => {
  it('verify: "ok N events" and exit 0; rebuild: exit 0 when the tables equal the events', async () => {
    const verify = await cli('audit', 'verify');
    expect(verify.code, verify.stderr).toBe(0);
    expect(lastLine(verify.stdout)).toBe('ok 4 events');
    const rebuild = await cli('audit', 'rebuild');
    expect(rebuild.code, rebuild.stderr).toBe(0);
  });

  it('export: a quarter as JSON lines with hashes that check offline; an edited line is named', async () => {
    const file = path.join(workDir, '2025Q3.jsonl');
    const exported = await cli('audit', 'export', '--quarter', '2025Q3', '--out', file);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as {
      streamId: string;
      hash: string;
      prevHash: string;
      position: string;
      data: { amountFen: number };
    };
    expect(first.streamId).toBe('subsidy-cycle-2025Q3:funding:411002');
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    const check = await cli('audit', 'check', file);
    expect(check.code, check.stderr).toBe(0);
    expect(lastLine(check.stdout)).toBe('ok 2 events');

    const edited = path.join(workDir, 'edited.jsonl');
    writeFileSync(
      edited,
      [JSON.stringify({ ...first, data: { ...first.data, amountFen: 999_999 } }), lines[1]].join('\n'),
    );
    const refused = await cli('audit', 'check', edited);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`position ${first.position}`);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an event row altered by a superuser: verify and rebuild exit 1 naming the position and the table', async () => {
    const victim = (await store.readStream('subsidy-cycle-2025Q3:funding:411003'))[0]!;
    await testDb.db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      await sql`update events set data = jsonb_set(data::jsonb, '{amountFen}', '1')::json where position = ${victim.position}`.execute(
        conn,
      );
      await sql`set session_replication_role = origin`.execute(conn);
    });
    const verify = await cli('audit', 'verify');
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`broken at position ${victim.position}`);
    expect(verify.stderr.trim()).toBe(`error: hash chain broken at position ${victim.position}`);
    const rebuild = await cli('audit', 'rebuild');
    expect(rebuild.code).toBe(1);
    expect(rebuild.stdout).toMatch(/^funding_requests: 1 row\(s\) only in the live table, 1 only in the rebuild/m);
    expect(rebuild.stdout).toMatch(/^ {2}live {4}cycle_id=subsidy-cycle-2025Q3, jurisdiction=411003$/m);
    expect(rebuild.stdout).toMatch(/^ {2}rebuilt cycle_id=subsidy-cycle-2025Q3, jurisdiction=411003$/m);
    expect(rebuild.stdout).toContain(`hash chain at position ${victim.position}`);
  });

  it('replay: a workflow history fetched from Temporal replays against the current code', async () => {
    const replay = await cli('audit', 'replay', workflowId);
    expect(replay.code, replay.stderr).toBe(0);
    expect(lastLine(replay.stdout)).toMatch(
      new RegExp(`^ok ${workflowId}: \\d+ history events replay deterministically$`),
    );
    const missing = await cli('audit', 'replay', 'no-such-workflow');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  }, 180_000);

  it('replay against a non-deterministic change of the same workflow reports it', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: path.join(repoRoot, 'test/fixtures/nondeterministic/workflows.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const verdict = await replayWorkflow(client, workflowId, changed);
    expect(verdict).toMatchObject({ ok: false, nondeterministic: true });
  });
});
