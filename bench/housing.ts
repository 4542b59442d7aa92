// npm run bench:housing — 1,000 purchases of existing housing (许政办〔2025〕10号) driven concurrently
// through the real workflows, worker, PostgreSQL, Temporal dev server and simulators, on an embedded
// stack of its own (temporary DATA_DIR, free ports). People are played by a driver that works the
// task force's work list (GET /housing/listings?stage=… as a query): survey reports, offers at the
// cap, a second person's approval. The simulated lending bank refuses some loans and the registry
// fails some registrations, so the saga's compensations run too. Prints throughput, p50/p95 time per
// stage (from the recorded events), outcomes, the bank's payments, and the peak RSS of this process,
// which hosts the worker. BENCH_LISTINGS=1000 (default).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { startStack } from '../app/stack/stack';
import { simulatedHousingAdapters } from '../housing/activities';
import {
  addFundsUpdate,
  decideApprovalUpdate,
  fileSurveyReportUpdate,
  type HousingActor,
  listingWorkflowId,
  planStateQuery,
  submitOfferUpdate,
} from '../housing/contracts/definitions';
import { recordBuildingIntent, registerDemand, registerListing } from '../housing/services/intake';
import { ensurePurchasePlan, startListingWorkflow } from '../housing/services/starter';
import { makeIdNumber } from '../platform/common/id-number';
import { loadConfig } from '../platform/config';
import { stackEnv } from '../test/support/stack-process';

const LISTINGS = Number(process.env.BENCH_LISTINGS ?? 1000);
const PLAN_ID = 'housing-purchase-plan-bench';
const REFUSE_LOAN_PERMILLE = 40;
const FAIL_REGISTRATION_PERMILLE = 20;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

/** A deterministic draw in [0, 1000) per listing and purpose. */
const draw = (purpose: string, id: string) =>
  createHash('sha256').update(`${purpose}:${id}`).digest().readUInt32BE(0) % 1000;

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-housing-'));
const config = loadConfig({
  ...process.env,
  ...(await stackEnv(dataDir)),
  LOG_LEVEL: 'warn',
});
const housing = simulatedHousingAdapters({
  // Journaled like the stack's (DATA_DIR/housing-simulators), so the bench pays for persistence too.
  stateDir: path.join(dataDir, 'housing-simulators'),
  registry: {
    delayMs: 150,
    failureOf: (r) =>
      draw('registry', r.listingId) < FAIL_REGISTRATION_PERMILLE ? 'title under seizure (查封)' : undefined,
  },
  lending: {
    delayMs: 150,
    refusalOf: (a) => (draw('loan', a.listingId) < REFUSE_LOAN_PERMILLE ? 'credit limit reached' : undefined),
  },
});
console.log(`starting an embedded stack in ${dataDir} …`);
const stack = await startStack(config, { worker: true, api: false, housing }, () => {});
const { client, subsidyDeps: deps } = stack;
const taskQueue = config.TEMPORAL_TASK_QUEUE;
try {
  // The platform: demand in the two core areas, owner surveys of some buildings, the plan's money.
  await registerDemand(deps, { region: 'yiquan_liangu', units: LISTINGS, reference: 'bench' }, 'bench');
  await registerDemand(deps, { region: 'xugang_belt', units: LISTINGS, reference: 'bench' }, 'bench');
  for (let b = 0; b < 50; b++) {
    await recordBuildingIntent(
      deps,
      {
        complex: '芙蓉湖小区',
        building: `${b}号楼`,
        ownersTotal: 40,
        ownersWilling: b % 2 === 0 ? 36 : 20,
        reference: 'bench',
      },
      'bench',
    );
  }
  await ensurePurchasePlan(client, taskQueue, PLAN_ID);
  const plan = client.workflow.getHandle(PLAN_ID);
  const finance: HousingActor = { subject: 'bench-finance', role: 'finance' };
  await plan.executeUpdate(addFundsUpdate, {
    args: [{ actor: finance, source: 'capital', amountFen: 60_000_000_000, reference: 'bench' }],
  });
  await plan.executeUpdate(addFundsUpdate, {
    args: [{ actor: finance, source: 'loan_capacity', amountFen: 90_000_000_000, reference: 'bench' }],
  });

  const t0 = performance.now();
  const ids: string[] = [];
  await pool(
    Array.from({ length: LISTINGS }, (_, i) => i),
    32,
    async (i) => {
      const intake = {
        kind: i % 3 === 0 ? ('new_stock' as const) : ('second_hand' as const),
        region: i % 2 === 0 ? 'yiquan_liangu' : 'xugang_belt',
        address: `许昌市示范路${i}号`,
        complex: '芙蓉湖小区',
        building: `${i % 50}号楼`,
        unit: `${i}室`,
        floorAreaDm2: 6_000 + (i % 70) * 100,
        askingFen: 50_000_000 + (i % 50) * 1_000_000,
        certificates:
          i % 3 === 0
            ? (
                ['land_use', 'land_planning', 'construction_planning', 'construction_permit', 'sales_permit'] as const
              ).slice()
            : (['property_certificate'] as const).slice(),
        canRegister: true,
        documents: [],
        seller: {
          idNumber: makeIdNumber('411002', '1980-01-01', i % 1000),
          name: `卖方${i}`,
          bankCode: 'ICBC',
          accountNo: `62220202${String(i).padStart(10, '0')}`,
        },
        registeredOn: '2025-06-01',
      };
      const { listingId } = await registerListing(deps, intake, 'bench');
      await startListingWorkflow(
        client,
        taskQueue,
        { listingId, kind: intake.kind, region: intake.region },
        {
          planId: PLAN_ID,
          timing: { pollIntervalMs: 100, surveyReminderEvery: '1 minute', decisionReminder: '1 minute' },
        },
      );
      ids.push(listingId);
    },
  );
  const tStarted = performance.now();
  console.log(`${LISTINGS} listings registered and started in ${((tStarted - t0) / 1000).toFixed(1)} s`);

  // The people: work the list by stage, as the task force would.
  const surveyor: HousingActor = { subject: 'bench-surveyor', role: 'appraiser' };
  const negotiator: HousingActor = { subject: 'bench-negotiator', role: 'housing_task_force' };
  const approver: HousingActor = { subject: 'bench-approver', role: 'housing_task_force' };
  const acted = new Set<string>();
  let refusedUpdates = 0;
  for (;;) {
    const rows = await deps.db
      .selectFrom('housing_listings')
      .select(['listing_id', 'stage', 'status', 'cap_fen'])
      .where('status', '=', 'open')
      .execute();
    if (rows.length === 0) break;
    const work = rows.filter(
      (r) => ['survey', 'negotiation', 'approval'].includes(r.stage) && !acted.has(`${r.listing_id}:${r.stage}`),
    );
    await pool(work, 32, async (r) => {
      const key = `${r.listing_id}:${r.stage}`;
      acted.add(key);
      const handle = client.workflow.getHandle(listingWorkflowId(r.listing_id));
      try {
        if (r.stage === 'survey')
          await handle.executeUpdate(fileSurveyReportUpdate, {
            args: [{ actor: surveyor, passed: true, defects: [], photoRefs: [] }],
          });
        else if (r.stage === 'negotiation')
          await handle.executeUpdate(submitOfferUpdate, {
            args: [{ actor: negotiator, priceFen: Number(r.cap_fen), sellerAccepted: true }],
          });
        else
          await handle.executeUpdate(decideApprovalUpdate, {
            args: [{ actor: approver, approved: true, reason: 'bench' }],
          });
      } catch {
        // The work list ran ahead of the workflow (its stage not yet reached): try again next round.
        refusedUpdates++;
        acted.delete(key);
      }
    });
    await new Promise((r) => setTimeout(r, 250));
  }
  const tEnd = performance.now();

  // Time per stage from the recorded events: the record auditors read is also the stopwatch.
  const events = await deps.db
    .selectFrom('events')
    .select(['stream_id', 'type', 'recorded_at'])
    .where('stream_id', 'like', 'housing-listing-%')
    .orderBy('position')
    .execute();
  const byListing = new Map<string, Map<string, number>>();
  for (const e of events) {
    const at = byListing.get(e.stream_id) ?? new Map<string, number>();
    if (!at.has(e.type)) at.set(e.type, e.recorded_at.getTime());
    byListing.set(e.stream_id, at);
  }
  const stages: [string, string[], string[]][] = [
    ['screening', ['ListingRegistered'], ['ListingScreened']],
    ['waiting for turn', ['ListingScreened'], ['PurchaseAdmitted']],
    ['survey (driver)', ['PurchaseAdmitted'], ['SurveyReportFiled']],
    ['appraisal', ['SurveyReportFiled'], ['PriceCapSet']],
    ['offer + approval (driver)', ['PriceCapSet'], ['PriceApprovalDecided']],
    ['contract', ['PriceApprovalDecided'], ['ContractSigned']],
    ['registration + deed tax', ['ContractSigned'], ['RegistrationCompleted', 'RegistrationFailed']],
    [
      'loan (decision, draw/fallback)',
      ['RegistrationCompleted'],
      ['LoanDrawn', 'LoanFallbackToCapital', 'ContractTerminated'],
    ],
    ['seller payment', ['LoanDrawn', 'LoanFallbackToCapital'], ['SellerPaid']],
    ['handover', ['SellerPaid'], ['HomeHandedOver']],
    ['end to end', ['ListingRegistered'], ['ListingClosed']],
  ];
  console.log(`\n== ${LISTINGS.toLocaleString('en')} purchases ==`);
  console.log(`${'stage'.padEnd(32)} ${'n'.padStart(5)} ${'p50 s'.padStart(8)} ${'p95 s'.padStart(8)}`);
  for (const [name, from, to] of stages) {
    const spans: number[] = [];
    for (const at of byListing.values()) {
      const start = from.map((t) => at.get(t)).find((v) => v !== undefined);
      const end = to.map((t) => at.get(t)).find((v) => v !== undefined);
      if (start !== undefined && end !== undefined) spans.push((end - start) / 1000);
    }
    spans.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(32)} ${String(spans.length).padStart(5)} ${percentile(spans, 50).toFixed(2).padStart(8)} ${percentile(spans, 95).toFixed(2).padStart(8)}`,
    );
  }

  const outcomes = await deps.db
    .selectFrom('housing_listings')
    .select(['status', sql<string>`count(*)`.as('n')])
    .groupBy('status')
    .execute();
  const count = (type: string) => events.filter((e) => e.type === type).length;
  const handedOver = Number(outcomes.find((o) => o.status === 'handed_over')?.n ?? 0);
  const paid = await deps.bank.queryPayments(ids.map((id) => `housing-seller-${id}#1`));
  const settled = paid.filter((p) => p.status === 'settled');
  const wall = (tEnd - t0) / 1000;
  const runs = await (async () => {
    let n = 0;
    for await (const _ of client.workflow.list({ query: `WorkflowId = '${PLAN_ID}'` })) n++;
    return n;
  })();
  // The last settle signals may still be on their way to the plan: give it a moment to take them.
  let state = await client.workflow.getHandle(PLAN_ID).query(planStateQuery);
  for (let i = 0; i < 100 && Object.keys(state.reserved).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    state = await client.workflow.getHandle(PLAN_ID).query(planStateQuery);
  }
  const planRun = await client.workflow.getHandle(PLAN_ID).describe();
  console.log(`\noutcomes                 ${outcomes.map((o) => `${o.status} ${o.n}`).join(', ')}`);
  console.log(
    `compensations            loans refused ${count('LoanRefused')} (fallback to capital ${count('LoanFallbackToCapital')}), registrations failed ${count('RegistrationFailed')}, contracts terminated ${count('ContractTerminated')}, registrations unwound ${count('RegistrationUnwound')}`,
  );
  console.log(
    `seller payments          ${settled.length} settled at the bank for ${handedOver} handovers (one key each; ${paid.length} keys known to the bank)`,
  );
  console.log(
    `purchase plan            ${runs} run(s) (continue-as-new), current run ${planRun.historyLength} history events; admitted ${state.admittedTotal}, settled ${state.settledTotal}, reserved now ${Object.keys(state.reserved).length}, spent ${((state.funds.capital.spentFen + state.funds.loan.spentFen) / 100).toLocaleString('en')} yuan`,
  );
  console.log(`updates refused (early)  ${refusedUpdates} (the driver retried them)`);
  console.log(`events recorded          ${events.length.toLocaleString('en')}`);
  console.log(`wall time                ${wall.toFixed(1)} s (start ${((tStarted - t0) / 1000).toFixed(1)} s)`);
  console.log(
    `throughput               ${(handedOver / wall).toFixed(1)} handovers/s, ${(LISTINGS / wall).toFixed(1)} listings/s`,
  );
  console.log(`peak RSS (worker+bench)  ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
} finally {
  clearInterval(sampler);
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
