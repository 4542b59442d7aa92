// npm run bench:review — bulk county review at scale: one county with BENCH_REVIEW_ITEMS (default
// 100,000) review items from a real cycle on the embedded stack; a reviewer's "approve all except
// these 10" goes through the HTTP API as one action, and the clock runs until the items read approved
// in PostgreSQL. The last line is `bulk approval of N items: S s`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { buildApi } from '../app/api/server';
import { startStack } from '../app/stack/stack';
import { subsidyCycleWorkflow } from '../app/workflows';
import { loadConfig } from '../platform/config';
import { issueToken } from '../platform/security/tokens';
import { storeUpload } from '../subsidy/adapters/uploads';
import { cycleIdFor } from '../subsidy/contracts/definitions';
import { importRoster } from '../subsidy/services/roster';
import { stackEnv } from '../test/support/stack-process';
import { writeSyntheticSubsidyData } from './synthetic';

const wanted = Number(process.env.BENCH_REVIEW_ITEMS ?? 100_000);
const quarter = '2025Q3';
const jurisdiction = '411081';
const cycleId = cycleIdFor(quarter);
const secret = new Uint8Array(32).fill(42);

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-review-'));
const config = loadConfig({ ...process.env, ...(await stackEnv(dataDir)), LOG_LEVEL: 'warn' });
const stack = await startStack(config, { worker: true, api: false }, () => {});
const api = await buildApi({
  db: stack.db,
  store: stack.store,
  temporal: stack.client,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  logLevel: 'silent',
  subsidy: stack.subsidyDeps,
  tokenSecret: secret,
});
try {
  // Nearly every stay belongs to a roster person of the one county; some people have several stays,
  // some are refused (age, enrolment): size the files so that the county gets about `wanted` items.
  const rows = Math.ceil(wanted * 1.75);
  const files = await writeSyntheticSubsidyData({
    dir: path.join(dataDir, 'input'),
    quarter,
    rows,
    rosterSize: Math.ceil(wanted * 2),
    seed: 11,
    onlyJurisdiction: jurisdiction,
    rosterShare: 0.97,
  });
  await importRoster(stack.subsidyDeps, files.roster, 'bench');
  const extract = await storeUpload(stack.subsidyDeps, files.hospitalizations);
  const t0 = performance.now();
  await stack.client.workflow.start(subsidyCycleWorkflow, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: cycleId,
    args: [{ quarter, extractHash: extract.hash, autoApprove: false }],
  });
  const reviewer = await issueToken(secret, { subject: 'bench-reviewer', role: 'county_reviewer', jurisdiction });
  const headers = { authorization: `Bearer ${reviewer}`, 'content-type': 'application/json' };
  let items = 0;
  for (;;) {
    const progress = await api.inject({
      method: 'GET',
      url: `/subsidy/cycles/${quarter}/review/${jurisdiction}`,
      headers,
    });
    if (progress.statusCode === 200) {
      items = (JSON.parse(progress.body) as { items: number }).items;
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(
    `cycle computed in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${items.toLocaleString('en')} review items in county ${jurisdiction}`,
  );
  if (items < wanted) console.log(`warning: fewer items than the ${wanted.toLocaleString('en')} asked for`);

  // The reviewer keeps back ten items, spread over the list, and approves all the rest in one action.
  const except = Array.from({ length: 10 }, (_, k) => 1 + Math.floor((k * items) / 10));
  const tDecide = performance.now();
  const decided = await api.inject({
    method: 'POST',
    url: `/subsidy/cycles/${quarter}/review/${jurisdiction}/decisions`,
    headers,
    payload: JSON.stringify({ decision: 'approve', selection: { scope: 'all_undecided', except } }),
  });
  if (decided.statusCode !== 200) throw new Error(`decision refused: ${decided.statusCode} ${decided.body}`);
  const tAnswered = performance.now();
  for (;;) {
    const row = await stack.db
      .selectFrom('entitlements')
      .select(sql<string>`count(*) filter (where review_status = 'approved')`.as('approved'))
      .where('cycle_id', '=', cycleId)
      .where('jurisdiction', '=', jurisdiction)
      .executeTakeFirstOrThrow();
    if (Number(row.approved) === items - except.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - tDecide) / 1000;
  console.log(
    `API answered in ${((tAnswered - tDecide) / 1000).toFixed(2)} s; ${(items - except.length).toLocaleString('en')} items read approved`,
  );
  await stack.client.workflow.getHandle(cycleId).terminate('bench over');
  console.log(`bulk approval of ${items} items: ${seconds.toFixed(2)} s`);
} finally {
  await api.close();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
