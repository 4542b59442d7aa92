// npm run bench:cycle — an unattended subsidy cycle of 100,000 and of 1,000,000 extract rows on the
// embedded stack, through the real workflow, worker, PostgreSQL and bank simulator. Prints the time
// per stage, rows/s, the largest workflow history (events and bytes) and the peak memory (RSS) of
// this process, which hosts the worker. Sizes: BENCH_SIZES=100000,1000000 (default).
// Before each cycle it measures the floor on the same PostgreSQL and files (bench/floor.ts) and prints
// floor, cycle and their ratio; with two sizes, a growth table of time and peak RSS per stage.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { rebuildAndCompare } from '../app/audit/rebuild';
import { allProjections } from '../app/projections';
import { startStack } from '../app/stack/stack';
import { subsidyCycleWorkflow } from '../app/workflows';
import { loadConfig } from '../platform/config';
import { storeUpload } from '../subsidy/adapters/uploads';
import { cycleIdFor } from '../subsidy/contracts/definitions';
import { importRoster } from '../subsidy/services/roster';
import { stackEnv } from '../test/support/stack-process';
import type { FloorResult } from './floor';
import type { PrepareOptions } from './prepare';
import type { SyntheticFiles } from './synthetic';

const execFileAsync = promisify(execFile);
const sizes = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const quarter = '2025Q3';

let peakRss = 0;
// RSS with wall-clock times, so each stage's peak is the largest sample inside its time window.
const samples: { at: number; rss: number }[] = [];
const sample = () => {
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  samples.push({ at: Date.now(), rss });
};
const sampler = setInterval(sample, 200);
function peakBetween(from: number, to: number): number {
  let peak = 0;
  for (const s of samples) if (s.at >= from - 200 && s.at <= to + 200) peak = Math.max(peak, s.rss);
  return peak;
}

interface Stage {
  seconds: number;
  peakRss: number;
}
/** Per size: stage name → time and peak RSS, for the growth table. */
const measured = new Map<number, Map<string, Stage>>();

async function historyFigures(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const bytes = Buffer.byteLength(JSON.stringify(history));
  return { events: history.events?.length ?? 0, bytes, history };
}

/** Epoch milliseconds of a history event time. */
function epochMs(t: unknown): number {
  const ts = t as { seconds?: { toNumber?: () => number } | number; nanos?: number } | undefined;
  const s = typeof ts?.seconds === 'number' ? ts.seconds : (ts?.seconds?.toNumber?.() ?? 0);
  return s * 1000 + (ts?.nanos ?? 0) / 1e6;
}

function seconds(from: unknown, to: unknown): number {
  return (epochMs(to) - epochMs(from)) / 1000;
}

/** Runs bench/prepare.ts in a child process and reads its one JSON line. */
async function prepare(options: PrepareOptions): Promise<{ files: SyntheticFiles; floor: FloorResult }> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [...process.execArgv, path.join(import.meta.dirname, 'prepare.ts'), JSON.stringify(options)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

async function runSize(rows: number): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `bench-cycle-${rows}-`));
  const config = loadConfig({
    ...process.env,
    ...(await stackEnv(dataDir)),
    LOG_LEVEL: 'warn',
  });
  const stack = await startStack(config, { worker: true, api: false }, () => {});
  try {
    // Files and floor come from a child process (bench/prepare.ts): their memory is not the worker's.
    const floorFrom = Date.now();
    const { files, floor } = await prepare({
      dataDir,
      quarter,
      rows,
      databaseUrl: stack.subsidyDeps.databaseUrl,
    });
    const floorPeak = peakBetween(floorFrom, Date.now());
    // BENCH_CPU_PROFILE=file: a CPU profile of this process (the worker) from roster import to closed.
    const profiler = process.env.BENCH_CPU_PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const t0 = performance.now();
    const rosterFrom = Date.now();
    await importRoster(stack.subsidyDeps, files.roster, 'bench');
    const tRoster = performance.now();
    sample();
    const rosterPeak = peakBetween(rosterFrom, Date.now());
    const extract = await storeUpload(stack.subsidyDeps, files.hospitalizations);
    const cycleId = cycleIdFor(quarter);
    const summary = await stack.client.workflow.execute(subsidyCycleWorkflow, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: cycleId,
      args: [
        {
          quarter,
          extractHash: extract.hash,
          autoApprove: true,
          timing: { pollInterval: 500, maxPollInterval: 10_000 },
        },
      ],
    });
    const tEnd = performance.now();
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(`${process.env.BENCH_CPU_PROFILE}-${rows}.cpuprofile`, JSON.stringify(profile));
      profiler.disconnect();
    }

    const cycle = await historyFigures(stack.client, cycleId);
    let largest = { id: cycleId, events: cycle.events, bytes: cycle.bytes };
    // Per stage: activities of one type add up; the per-county children run in parallel, so the slowest counts.
    const stages = new Map<string, number>();
    const peaks = new Map<string, number>();
    const add = (name: string, from: unknown, to: unknown, parallel = false) => {
      const s = seconds(from, to);
      stages.set(name, parallel ? Math.max(stages.get(name) ?? 0, s) : (stages.get(name) ?? 0) + s);
      peaks.set(name, Math.max(peaks.get(name) ?? 0, peakBetween(epochMs(from), epochMs(to))));
    };
    const scheduled = new Map<string, { name: string; at: unknown }>();
    const children = new Map<string, unknown>();
    for (const e of cycle.history.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a) scheduled.set(String(e.eventId), { name: a.activityType?.name ?? '?', at: e.eventTime });
      const done = e.activityTaskCompletedEventAttributes;
      const s = done ? scheduled.get(String(done.scheduledEventId)) : undefined;
      if (s) add(s.name, s.at, e.eventTime);
      const started = e.childWorkflowExecutionStartedEventAttributes;
      if (started) children.set(started.workflowExecution?.workflowId ?? '', e.eventTime);
      const completed = e.childWorkflowExecutionCompletedEventAttributes;
      if (completed) {
        const id = completed.workflowExecution?.workflowId ?? '';
        add(`county ${id.split(':')[1]} (slowest)`, children.get(id), e.eventTime, true);
        const figures = await historyFigures(stack.client, id);
        if (figures.events > largest.events) largest = { id, events: figures.events, bytes: figures.bytes };
      }
    }
    const total = (tEnd - t0) / 1000;
    // The auditors' check after the cycle: every event replayed into fresh projections, compared row by row.
    const rebuildFrom = performance.now();
    const rebuilt = await rebuildAndCompare(stack.subsidyDeps.db, stack.subsidyDeps.store, allProjections);
    const rebuildSeconds = (performance.now() - rebuildFrom) / 1000;
    console.log(`\n== ${rows.toLocaleString('en')} extract rows (${summary.rows.total} reported) ==`);
    console.log(`roster import          ${((tRoster - t0) / 1000).toFixed(1)} s`);
    for (const [name, s] of stages) console.log(`${name.padEnd(26)} ${s.toFixed(1)} s`);
    console.log(
      `end to end             ${total.toFixed(1)} s  (${Math.round(rows / total).toLocaleString('en')} rows/s)`,
    );
    console.log(
      `rows                   paid ${summary.rows.paid}, not eligible ${summary.rows.notEligible}, excluded ${summary.rows.excluded}, quarantined ${summary.rows.quarantined}`,
    );
    console.log(`reconciliation         ${summary.balanced ? 'balanced' : 'NOT balanced'}`);
    console.log(
      `audit rebuild          ${rebuilt.differences.length === 0 ? 'equal' : `${rebuilt.differences.length} tables DIFFER`}, chain ${rebuilt.chain.ok ? 'verified' : 'BROKEN'} (${rebuilt.events} events, ${rebuildSeconds.toFixed(1)} s)`,
    );
    console.log(
      `largest history        ${largest.events} events, ${(largest.bytes / 1024).toFixed(0)} KiB (${largest.id})`,
    );
    console.log(`cycle history          ${cycle.events} events, ${(cycle.bytes / 1024).toFixed(0)} KiB`);
    console.log(`peak RSS (worker+bench) ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
    console.log(`floor stages           ${floor.stages.map((f) => `${f.name} ${f.seconds.toFixed(1)} s`).join(', ')}`);
    console.log(
      `floor rows             ${Object.entries(floor.outcomes)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}; ${floor.payments} payments`,
    );
    console.log(`floor ${floor.seconds.toFixed(1)} s`);
    console.log(`cycle ${total.toFixed(1)} s`);
    console.log(`ratio ${(total / floor.seconds).toFixed(1)}×`);
    const table = new Map<string, Stage>();
    table.set('floor (raw PostgreSQL)', { seconds: floor.seconds, peakRss: floorPeak });
    table.set('roster import', { seconds: (tRoster - t0) / 1000, peakRss: rosterPeak });
    for (const [name, s] of stages) table.set(name, { seconds: s, peakRss: peaks.get(name) ?? 0 });
    table.set('end to end', { seconds: total, peakRss: peakBetween(rosterFrom, Date.now()) });
    measured.set(rows, table);
  } finally {
    await stack.stop();
    if (!process.env.BENCH_KEEP) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Time and peak RSS of each stage at the first two sizes, and how much each grew. */
function printGrowth(small: number, large: number): void {
  const a = measured.get(small)!;
  const b = measured.get(large)!;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const sizeFactor = large / small;
  console.log(
    `\n== growth ${small.toLocaleString('en')} → ${large.toLocaleString('en')} rows (×${sizeFactor.toFixed(1)}; linear = time ×${sizeFactor.toFixed(1)}) ==`,
  );
  console.log(
    `${'stage'.padEnd(28)} ${'time'.padStart(9)} ${'time'.padStart(9)} ${'×'.padStart(6)}   ${'peak RSS'.padStart(9)} ${'peak RSS'.padStart(9)} ${'×'.padStart(5)}`,
  );
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y) continue;
    const grow = (p: number, q: number) => (p > 0 ? (q / p).toFixed(1) : '-');
    console.log(
      `${name.padEnd(28)} ${`${x.seconds.toFixed(1)} s`.padStart(9)} ${`${y.seconds.toFixed(1)} s`.padStart(9)} ${grow(x.seconds, y.seconds).padStart(6)}   ${mib(x.peakRss).padStart(9)} ${mib(y.peakRss).padStart(9)} ${grow(x.peakRss, y.peakRss).padStart(5)}`,
    );
  }
}

for (const rows of sizes) await runSize(rows);
clearInterval(sampler);
if (sizes.length === 2) printGrowth(sizes[0]!, sizes[1]!);
