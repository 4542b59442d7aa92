import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import { issueToken } from '../../platform/security/tokens';
import type { CycleSummary } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// Two omission uploads (补发, 第十二条) of one quarter at the same moment: serialised per quarter,
// both answered clearly (no 500, no ENOENT on a `.partial` rename), and the file is paid once.
// Quarter 2024Q2: test files share one Temporal namespace, and workflow ids are per quarter.
const quarter = '2024Q2';
const taskQueue = 'test-concurrent-uploads';
const secret = new Uint8Array(32).fill(9);
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: FastifyInstance;
let token: string;
let omissions: string;

function upload(body: string) {
  return api
    .inject({
      method: 'POST',
      url: `/subsidy/cycles/${quarter}/omissions?autoApprove=true`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: body,
    })
    .then((r) => ({
      status: r.statusCode,
      body: JSON.parse(r.body) as { cycleId: string; duplicate?: boolean; message?: string },
    }));
}

beforeAll(async () => {
  world = await createSubsidyWorld('concurrent_uploads');
  worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps: world.deps });
  api = await buildApi({
    db: world.deps.db,
    store: world.deps.store,
    temporal: world.client,
    taskQueue,
    logLevel: 'silent',
    subsidy: world.deps,
    tokenSecret: secret,
  });
  token = await issueToken(secret, { subject: 'city', role: 'city_health_commission' });
  const files = await writeSyntheticSubsidyData({
    dir: path.join(world.workDir, 'input'),
    quarter,
    rows: 60,
    rosterSize: 40,
    seed: 21,
    badShare: 0,
  });
  await importRoster(world.deps, files.roster, 'test');
  omissions = readFileSync(files.hospitalizations, 'utf8');
});
afterAll(async () => {
  await api?.close();
  await worker?.shutdown();
  await world?.close();
});

it('the same omissions file uploaded twice at once: one back-pay run, both answered, paid once', async () => {
  const [a, b] = await Promise.all([upload(omissions), upload(omissions)]);
  expect([a.status, b.status].sort()).toEqual([200, 202]);
  expect(a.body.cycleId).toBe(`subsidy-backpay-${quarter}-1`);
  expect(b.body.cycleId).toBe(a.body.cycleId);
  const duplicate = a.status === 200 ? a.body : b.body;
  expect(duplicate.message).toMatch(/already back-pay run 1 of 2024Q2/);

  const summary = (await world.client.workflow.getHandle(a.body.cycleId).result()) as CycleSummary;
  expect(summary.balanced).toBe(true);
  const paid = summary.reconciliation.reduce((n, l) => n + l.settled, 0);
  expect(paid).toBeGreaterThan(0);
  // Paid once: one run computed entitlements from this file, each person's payment instructed once.
  const runs = await sql<{
    cycle_id: string;
  }>`select distinct data->>'cycleId' as cycle_id from events where type = 'CycleInputsFrozen'`.execute(
    world.testDb.db,
  );
  expect(runs.rows.map((r) => r.cycle_id)).toEqual([a.body.cycleId]);
  const instructed = await sql<{ n: string; distinct_ids: string }>`
    select count(*) as n, count(distinct i->>'paymentId') as distinct_ids
      from events, json_array_elements(data->'items') i where type = 'PaymentsInstructed'`.execute(world.testDb.db);
  expect(Number(instructed.rows[0]!.n)).toBe(paid);
  expect(Number(instructed.rows[0]!.distinct_ids)).toBe(paid);
}, 120_000);

it('two different omission files at once get runs 2 and 3, in some order, both accepted', async () => {
  const lines = omissions.trimEnd().split('\n');
  const first = `${lines.slice(0, 11).join('\n')}\n`;
  const second = `${[lines[0], ...lines.slice(11, 21)].join('\n')}\n`;
  const answers = await Promise.all([upload(first), upload(second)]);
  expect(answers.map((a) => a.status)).toEqual([202, 202]);
  expect(answers.map((a) => a.body.cycleId).sort()).toEqual([
    `subsidy-backpay-${quarter}-2`,
    `subsidy-backpay-${quarter}-3`,
  ]);
  for (const a of answers) await world.client.workflow.getHandle(a.body.cycleId).terminate('test over');
});
