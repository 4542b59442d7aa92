// npm run drill — fault drills on fresh embedded stacks (each its own DATA_DIR and ports), driven as an
// operator would: the CLI runs a 2025Q3 cycle of DRILL_ROWS extract rows (default 40,000: a smaller ingest
// ends before the mid-ingest drills see it), a fault is injected, and where the command died the same
// command is run again. Prints one table: did the cycle finish, double payments (bank ledger entries
// beyond one per payment), rows lost (extract rows without a line in report.csv), audit verify / rebuild,
// and what was seen. DRILLS=name,name runs a subset.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { embeddedUrl } from '../app/stack/postgres';
import { isAlive, processesIn, readServiceRecord } from '../app/stack/processes';
import { startStack } from '../app/stack/stack';
import { loadConfig } from '../platform/config';
import {
  collect,
  type Finished,
  processesMentioning,
  type StackEnv,
  spawnCli,
  stackEnv,
  waitForOutput,
} from '../test/support/stack-process';
import { writeSyntheticSubsidyData } from './synthetic';

const ROWS = Number(process.env.DRILL_ROWS ?? 40_000);
const QUARTER = '2025Q3';
const RUN_TIMEOUT_MS = 150_000;
const BAD_FILE_TIMEOUT_MS = 90_000;

interface Row {
  drill: string;
  finished: string;
  doublePayments: string;
  rowsLost: string;
  audit: string;
  notes: string;
}

interface World {
  dataDir: string;
  env: StackEnv;
  roster: string;
  extract: string;
  extractRows: number;
  /** record_id of every extract row (a duplicated id counts once: the report has a line per row). */
  extractIds: string[];
  out: string;
}

const worlds: string[] = [];

async function freshWorld(name: string): Promise<World> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `xuchang-drill-${name}-`));
  worlds.push(dataDir);
  const env = await stackEnv(dataDir);
  const files = await writeSyntheticSubsidyData({
    dir: path.join(dataDir, 'input'),
    quarter: QUARTER,
    rows: ROWS,
    rosterSize: Math.max(500, Math.round(ROWS / 5)),
    seed: 11,
  });
  const lines = readFileSync(files.hospitalizations, 'utf8').trim().split('\n').slice(1);
  const extractIds = [...new Set(lines.map((l) => l.split(',')[0]!))];
  return {
    dataDir,
    env,
    roster: files.roster,
    extract: files.hospitalizations,
    extractRows: lines.length,
    extractIds,
    out: path.join(dataDir, 'out'),
  };
}

function cycleArgs(world: World, extract = world.extract, quarter = QUARTER): string[] {
  return [
    'subsidy',
    'cycle',
    'run',
    '--quarter',
    quarter,
    '--roster',
    world.roster,
    '--hospitalizations',
    extract,
    '--auto-approve',
    '--payments-out',
    path.join(world.out, `payments-${quarter}.csv`),
    '--report-out',
    path.join(world.out, `report-${quarter}.csv`),
  ];
}

function run(world: World, args: string[]): { child: ChildProcess; exited: Promise<Finished> } {
  const child = spawnCli(args, { ...world.env, LOG_LEVEL: 'warn' });
  return { child, exited: collect(child).exited };
}

async function within(
  exited: Promise<Finished>,
  child: ChildProcess,
  ms: number,
): Promise<Finished & { timedOut: boolean }> {
  const timer = sleep(ms).then(() => 'timeout' as const);
  const outcome = await Promise.race([exited, timer]);
  if (outcome !== 'timeout') return { ...outcome, timedOut: false };
  child.kill('SIGINT');
  const late = await Promise.race([exited, sleep(60_000).then(() => undefined)]);
  if (!late) child.kill('SIGKILL');
  return { ...(late ?? (await exited)), timedOut: true };
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => !/^\s|^\d{4}-\d\d-\d\dT|^[{}\])]/.test(l))
    .at(-1)
    ?.slice(0, 160) ?? '';

async function query<T = Record<string, unknown>>(world: World, sql: string): Promise<T[]> {
  const client = new pg.Client({
    connectionString: embeddedUrl(loadConfig({ ...process.env, ...world.env })),
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query(sql)).rows as T[];
  } catch {
    return [];
  } finally {
    await client.end().catch(() => {});
  }
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(100);
  }
  return false;
}

const ingesting = (world: World) => async () =>
  (
    await query<{ query: string }>(
      world,
      "select query from pg_stat_activity where datname = 'xuchang' and state = 'active' and pid <> pg_backend_pid()",
    )
  ).some((r) => /extract_rows|copy/i.test(r.query));
/** The compute step has committed a batch of entitlements and not yet finished. */
const computing = (world: World) => async () =>
  (
    await query<{ committed: boolean; done: boolean }>(
      world,
      `select exists (select 1 from entitlements) as committed,
              exists (select 1 from events where type = 'CycleComputed') as done`,
    )
  ).some((r) => r.committed && !r.done);
const paying = (world: World) => async () =>
  Number(
    (
      await query<{ n: string }>(
        world,
        "select count(*) as n from entitlements where payment_status in ('instructed', 'accepted', 'settled')",
      )
    )[0]?.n ?? 0,
  ) > 0;

/** Double payments from the bank's own ledger; rows lost from report.csv; the auditors' two checks. */
async function measure(
  world: World,
  finished: boolean,
  quarter = QUARTER,
): Promise<Pick<Row, 'doublePayments' | 'rowsLost' | 'audit'>> {
  const config = loadConfig({ ...process.env, ...world.env, LOG_LEVEL: 'silent' });
  const stack = await startStack(config, { worker: false, api: false }, () => {});
  try {
    const ledger = (await (await fetch(`${stack.bank.url}/admin/ledger`)).json()) as {
      entries?: { idempotencyKey: string }[];
    };
    const entries = ledger.entries ?? [];
    const doubles = entries.length - new Set(entries.map((e) => e.idempotencyKey.split('#')[0])).size;
    const report = path.join(world.out, `report-${quarter}.csv`);
    let rowsLost = 'n/a (no report)';
    if (finished && existsSync(report)) {
      const ids = new Set(
        readFileSync(report, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',')[0]),
      );
      rowsLost = String(world.extractIds.filter((id) => !ids.has(id)).length);
    }
    const verify = await collect(spawnCli(['audit', 'verify'], { ...world.env, LOG_LEVEL: 'silent' })).exited;
    const rebuild = await collect(spawnCli(['audit', 'rebuild'], { ...world.env, LOG_LEVEL: 'silent' })).exited;
    const audit = `${verify.code === 0 ? lastLine(verify.stdout) : `FAIL ${lastLine(verify.stderr + verify.stdout)}`} / ${rebuild.code === 0 ? 'equal' : `FAIL ${lastLine(rebuild.stdout + rebuild.stderr)}`}`;
    return { doublePayments: String(doubles), rowsLost, audit };
  } finally {
    await stack.stop();
  }
}

function leftovers(world: World): string {
  const pids = [...processesMentioning(world.dataDir), ...processesIn(path.join(world.dataDir, 'postgres'))];
  return pids.length === 0 ? 'no process left' : `${pids.length} process(es) left: ${pids.join(' ')}`;
}

/** Runs the cycle command; `fault` injects the failure while it runs; a command that died is run again. */
async function faultDrill(name: string, fault: (world: World, child: ChildProcess) => Promise<string>): Promise<Row> {
  const world = await freshWorld(name);
  const first = run(world, cycleArgs(world));
  await waitForOutput(first.child, /cycle subsidy-cycle-\d{4}Q\d started/, RUN_TIMEOUT_MS).catch(() => {});
  const note = await fault(world, first.child);
  let result = await within(first.exited, first.child, RUN_TIMEOUT_MS);
  const notes = [note];
  if (result.code !== 0) {
    notes.push(
      `first run exit ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}: ${lastLine(result.stderr)}`,
    );
    if (name === 'ctrl-c-mid-ingest') notes.push(leftovers(world));
    const again = run(world, cycleArgs(world));
    result = await within(again.exited, again.child, RUN_TIMEOUT_MS);
    notes.push(`re-run exit ${result.code}`);
  }
  const finished = result.code === 0;
  if (!finished) notes.push(lastLine(result.stderr));
  const figures = await measure(world, finished);
  return { drill: name, finished: finished ? 'yes' : 'NO', ...figures, notes: notes.filter(Boolean).join('; ') };
}

async function twoClis(): Promise<Row> {
  const world = await freshWorld('two-clis');
  const a = run(world, cycleArgs(world));
  const b = run(world, cycleArgs(world));
  const [ra, rb] = await Promise.all([
    within(a.exited, a.child, RUN_TIMEOUT_MS),
    within(b.exited, b.child, RUN_TIMEOUT_MS),
  ]);
  const finished = ra.code === 0 && rb.code === 0;
  const notes = [
    `exits ${ra.code} and ${rb.code}`,
    ...[ra, rb].filter((r) => r.code !== 0).map((r) => lastLine(r.stderr)),
  ];
  const rosterLines = [ra, rb]
    .map((r) => /roster (version \d+|unchanged \(version \d+)/.exec(r.stderr)?.[0] ?? '')
    .filter(Boolean);
  notes.push(rosterLines.join(' / '));
  const figures = await measure(world, finished);
  return {
    drill: 'two CLIs at once (fresh DATA_DIR)',
    finished: finished ? 'yes' : 'NO',
    ...figures,
    notes: notes.filter(Boolean).join('; '),
  };
}

async function badFiles(): Promise<Row[]> {
  const world = await freshWorld('bad-files');
  const dir = path.join(world.dataDir, 'bad');
  execFileSync('mkdir', ['-p', dir]);
  const text = readFileSync(world.extract, 'utf8');
  const gbk = path.join(dir, 'gbk.csv');
  execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GBK', '-o', gbk, world.extract]);
  const missing = path.join(dir, 'missing-column.csv');
  writeFileSync(
    missing,
    text
      .split('\n')
      .map((l) => l.split(',').slice(0, 6).join(','))
      .join('\n'),
  );
  const empty = path.join(dir, 'empty.csv');
  writeFileSync(empty, '');
  const xlsx = path.join(dir, 'workbook.csv');
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('extract');
  for (const line of text.split('\n').slice(0, 50)) sheet.addRow(line.split(','));
  await book.xlsx.writeFile(xlsx);

  // A workbook named .csv is read as the workbook its bytes say it is (the upload's kind comes from its
  // content, not its name); the others must be refused.
  const cases: [string, string, string, 'refused' | 'read'][] = [
    ['bad file: GBK extract', gbk, '2025Q1', 'refused'],
    ['bad file: missing column', missing, '2025Q2', 'refused'],
    ['bad file: empty file', empty, '2024Q4', 'refused'],
    ['bad file: xlsx renamed .csv', xlsx, '2024Q3', 'read'],
  ];
  const rows: Row[] = [];
  for (const [name, file, quarter, expected] of cases) {
    const started = Date.now();
    const attempt = run(world, cycleArgs(world, file, quarter));
    const result = await within(attempt.exited, attempt.child, BAD_FILE_TIMEOUT_MS);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const paid = Number(
      (
        await query<{ n: string }>(
          world,
          `select count(*) as n from entitlements where cycle_id = 'subsidy-cycle-${quarter}' and payment_status <> 'not_instructed'`,
        )
      )[0]?.n ?? 0,
    );
    const outcome = result.timedOut
      ? `hung: stopped with Ctrl-C after ${BAD_FILE_TIMEOUT_MS / 1000} s`
      : `exit ${result.code} after ${seconds} s`;
    const finished = result.timedOut
      ? 'NO'
      : result.code !== 0
        ? expected === 'refused'
          ? 'refused'
          : 'refused (!)'
        : expected === 'read'
          ? 'yes (read as xlsx)'
          : 'yes (!)';
    rows.push({
      drill: name,
      finished,
      doublePayments: '-',
      rowsLost: '-',
      audit: '-',
      notes: `${outcome}: ${lastLine(result.stderr)}; ${paid} payments instructed; ${leftovers(world)}`,
    });
  }
  const figures = await measure(world, false);
  for (const row of rows) {
    row.doublePayments = figures.doublePayments;
    row.audit = figures.audit;
  }
  return rows;
}

const drills: Record<string, () => Promise<Row | Row[]>> = {
  'worker-kill': () =>
    faultDrill('SIGKILL worker mid-payment', async (world, child) => {
      const hit = await waitFor(paying(world));
      child.kill('SIGKILL');
      return hit
        ? 'worker (the CLI hosting it) killed while payments were instructed'
        : 'payment stage not seen; killed anyway';
    }),
  'worker-kill-compute': () =>
    faultDrill('SIGKILL worker mid-compute', async (world, child) => {
      const hit = await waitFor(computing(world), 300_000);
      child.kill('SIGKILL');
      return hit
        ? 'worker (the CLI hosting it) killed after a compute batch committed, before the step ended'
        : 'compute in progress not seen; killed anyway';
    }),
  'postgres-kill': () =>
    faultDrill('SIGKILL PostgreSQL mid-ingest', async (world) => {
      const hit = await waitFor(ingesting(world));
      const pid = readServiceRecord(path.join(world.dataDir, 'run'), 'postgres')?.pid;
      if (pid) process.kill(pid, 'SIGKILL');
      const back = await waitFor(async () => {
        const again = readServiceRecord(path.join(world.dataDir, 'run'), 'postgres')?.pid;
        return !!again && again !== pid && isAlive(again);
      }, 60_000);
      return `${hit ? 'postmaster killed during the ingest' : 'ingest not seen; killed anyway'}; ${back ? 'restarted by the stack' : 'NOT restarted within 60 s'}`;
    }),
  'temporal-kill': () =>
    faultDrill('SIGKILL Temporal dev server', async (world) => {
      await waitFor(ingesting(world), 60_000);
      const pid = readServiceRecord(path.join(world.dataDir, 'run'), 'temporal')?.pid;
      if (pid) process.kill(pid, 'SIGKILL');
      const back = await waitFor(async () => {
        const again = readServiceRecord(path.join(world.dataDir, 'run'), 'temporal')?.pid;
        return !!again && again !== pid && isAlive(again);
      }, 60_000);
      return back
        ? 'dev server killed mid-cycle; restarted by the stack'
        : 'dev server killed; NOT restarted within 60 s';
    }),
  'ctrl-c': () =>
    faultDrill('ctrl-c-mid-ingest', async (world, child) => {
      const hit = await waitFor(ingesting(world));
      child.kill('SIGINT');
      return hit ? 'Ctrl-C during the ingest' : 'ingest not seen; Ctrl-C anyway';
    }),
  'two-clis': twoClis,
  'bad-files': badFiles,
};

const selected = process.env.DRILLS ? process.env.DRILLS.split(',') : Object.keys(drills);
const rows: Row[] = [];
const t0 = Date.now();
try {
  for (const name of selected) {
    const drill = drills[name];
    if (!drill) throw new Error(`no drill ${name}; drills: ${Object.keys(drills).join(', ')}`);
    const started = Date.now();
    process.stderr.write(`drill ${name} …\n`);
    try {
      const result = await drill();
      rows.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
      rows.push({
        drill: name,
        finished: 'ERROR',
        doublePayments: '?',
        rowsLost: '?',
        audit: '?',
        notes: error instanceof Error ? error.message.split('\n')[0]! : String(error),
      });
    }
    process.stderr.write(`drill ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
} finally {
  for (const dir of worlds) {
    for (const pid of processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    if (!process.env.DRILL_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

const header: Row = {
  drill: 'drill',
  finished: 'finished?',
  doublePayments: 'double payments',
  rowsLost: 'rows lost',
  audit: 'audit verify / rebuild',
  notes: 'notes',
};
const keys = Object.keys(header) as (keyof Row)[];
const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => (k === 'notes' ? 0 : r[k].length))));
for (const row of [header, ...rows])
  console.log(keys.map((k, i) => (k === 'notes' ? row[k] : row[k].padEnd(widths[i]!))).join(' | '));
console.log(`${ROWS} extract rows per drill; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
