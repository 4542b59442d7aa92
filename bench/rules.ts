// `npm run bench:rules`: the rules core at Xuchang scale, in one process on one core. Writes a synthetic
// extract (1,000,000 hospitalization rows, 100,000 roster entries, ~1 % bad rows) to a temp dir, then
// streams it through parse + validate and computes every person, printing
// rows/s per phase and peak RSS. Duplicate records are classified only in SQL during ingest (one implementation;
// `npm run bench:ingest` measures it). Targets: the whole million under 20 s, peak RSS under 500 MB.
//
// Valid rows are kept in columns (typed arrays and shared strings), not as a million objects, and
// regrouped by person with a counting sort — the same shape the database path gets from SQL.
// Options: --rows N --roster N --quarter 2026Q1 --seed N --keep (keep the temp dir).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dayOf, isoOf } from '../platform/common/dates';
import { readRecords } from '../subsidy/adapters/files';
import {
  computePerson,
  currentPolicy,
  EXCLUSION_CODES,
  type ExclusionCode,
  parseQuarter,
  type RosterEntry,
  type Stay,
  validateRosterRow,
  validateStayRow,
} from '../subsidy/rules';
import type { SyntheticFiles } from './synthetic';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(option('rows', '1000000'));
const ROSTER = Number(option('roster', '100000'));
const QUARTER = option('quarter', '2026Q1');
const SEED = Number(option('seed', '20250618'));
const KEEP = process.argv.includes('--keep');
// The day the extract is read: two weeks after the quarter (第十条: within the first 5 working days).
const TODAY = isoOf(parseQuarter(QUARTER).end + 14);

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;
const memo = (label: string) => {
  if (!process.env.BENCH_MEM) return;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  console.log(
    `    [${label}] rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external + m.arrayBuffers)} peak ${mb(peakRss())}`,
  );
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-rules-'));
try {
  console.log(
    `bench:rules — ${ROWS.toLocaleString('en-US')} extract rows, ${ROSTER.toLocaleString('en-US')} roster entries, quarter ${QUARTER}, today ${TODAY}`,
  );
  let t = performance.now();
  // In a child process, so the peak RSS below is the rules run's own.
  const generated = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(new URL('./synthetic.ts', import.meta.url)),
      '--dir',
      dir,
      '--quarter',
      QUARTER,
      '--rows',
      String(ROWS),
      '--roster',
      String(ROSTER),
      '--seed',
      String(SEED),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (generated.status !== 0) throw new Error(`generating the synthetic extract failed (exit ${generated.status})`);
  const files = JSON.parse(generated.stdout.trim().split('\n').pop()!) as SyntheticFiles;
  console.log(`  generate (child process)       ${secs(performance.now() - t)}  → ${dir}`);

  // Phase 1: the roster.
  const start = performance.now();
  t = start;
  const rosterIndex = new Map<string, number>();
  const roster: RosterEntry[] = [];
  let rosterIn = 0;
  let rosterBad = 0;
  for await (const { record } of readRecords(files.roster, 'csv', 'roster')) {
    rosterIn++;
    const checked = validateRosterRow(record, { today: TODAY });
    if (!checked.ok || rosterIndex.has(checked.row.idNumber)) rosterBad++;
    else {
      rosterIndex.set(checked.row.idNumber, roster.length);
      roster.push(checked.row);
    }
  }
  const rosterMs = performance.now() - t;
  memo('roster');
  console.log(
    `  roster parse+validate          ${secs(rosterMs)}  ${rate(rosterIn, rosterMs)}  (${rosterBad} quarantined)`,
  );

  // Phase 2: the extract, streamed: validate, and keep valid rows in columns.
  t = performance.now();
  const hospitals = new Map<string, number>();
  const hospitalNames: string[] = [];
  let capacity = 1 << 16;
  // Numeric record ids as numbers (no string kept per row); any other id in a side map.
  let recordNo = new Float64Array(capacity);
  const textIds = new Map<number, string>();
  const keepRecordId = (i: number, id: string) => {
    if (/^[1-9]\d{0,14}$/.test(id)) recordNo[i] = Number(id);
    else textIds.set(i, id);
  };
  const recordIdAt = (i: number) => textIds.get(i) ?? String(recordNo[i]);
  let person = new Int32Array(capacity);
  let admission = new Int32Array(capacity);
  let discharge = new Int32Array(capacity);
  let hospital = new Int32Array(capacity);
  let exclusion = new Uint8Array(capacity); // 0 none, else 1 + index in EXCLUSION_CODES
  let valid = new Uint8Array(capacity); // 1 valid, 0 quarantined
  const grow = () => {
    capacity *= 2;
    const widen = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    person = widen(person, (n) => new Int32Array(n));
    admission = widen(admission, (n) => new Int32Array(n));
    discharge = widen(discharge, (n) => new Int32Array(n));
    hospital = widen(hospital, (n) => new Int32Array(n));
    exclusion = widen(exclusion, (n) => new Uint8Array(n));
    valid = widen(valid, (n) => new Uint8Array(n));
    recordNo = widen(recordNo, (n) => new Float64Array(n));
  };
  const quarantineReasons = new Map<string, number>();
  let rowsIn = 0;
  for await (const { line, record } of readRecords(files.hospitalizations, 'csv', 'hospitalizations')) {
    const i = rowsIn++;
    if (i >= capacity) grow();
    const checked = validateStayRow(record, { today: TODAY });
    if (!checked.ok) {
      quarantineReasons.set(checked.reason, (quarantineReasons.get(checked.reason) ?? 0) + 1);
      continue;
    }
    const row = checked.row;
    // Rows are grouped by roster person; a person not on the roster needs no grouping (no rule links
    // their rows when there is no roster entry), so they are computed row by row: same outcomes.
    const p = rosterIndex.get(row.idNumber) ?? -1;
    let h = hospitals.get(row.hospital);
    if (h === undefined) {
      h = hospitalNames.length;
      hospitalNames.push(row.hospital);
      hospitals.set(row.hospital, h);
    }
    keepRecordId(i, row.recordId);
    person[i] = p;
    admission[i] = dayOf(row.admissionDate);
    discharge[i] = dayOf(row.dischargeDate);
    hospital[i] = h;
    exclusion[i] = row.exclusion ? EXCLUSION_CODES.indexOf(row.exclusion) + 1 : 0;
    valid[i] = 1;
  }
  const parseMs = performance.now() - t;
  memo('extract');
  let quarantined = 0;
  for (const n of quarantineReasons.values()) quarantined += n;
  console.log(
    `  extract parse+validate         ${secs(parseMs)}  ${rate(rowsIn, parseMs)}  (${quarantined} quarantined)`,
  );

  // Phase 3: compute, person by person (counting sort of valid rows by person).
  t = performance.now();
  const persons = roster.length;
  const offsets = new Int32Array(persons + 1);
  for (let i = 0; i < rowsIn; i++) if (valid[i] && person[i]! >= 0) offsets[person[i]! + 1]!++;
  for (let p = 0; p < persons; p++) offsets[p + 1]! += offsets[p]!;
  const order = new Int32Array(offsets[persons]!);
  const fill = offsets.slice(0, persons);
  for (let i = 0; i < rowsIn; i++) if (valid[i] && person[i]! >= 0) order[fill[person[i]!]!++] = i;
  const policy = currentPolicy();
  const counts = { paid: 0, not_eligible: 0, excluded: 0 };
  const reasons = new Map<string, number>();
  let payments = 0;
  let backPay = 0;
  let amountFen = 0;
  let cityFen = 0;
  let nightsPaid = 0;
  const stayAt = (i: number, idNumber: string): Stay => ({
    recordId: recordIdAt(i),
    idNumber,
    name: '',
    hospital: hospitalNames[hospital[i]!]!,
    admissionDate: isoOf(admission[i]!),
    dischargeDate: isoOf(discharge[i]!),
    exclusion: exclusion[i] ? (EXCLUSION_CODES[exclusion[i]! - 1] as ExclusionCode) : null,
  });
  let personsComputed = 0;
  const tally = (result: ReturnType<typeof computePerson>) => {
    personsComputed++;
    for (const row of result.rows) {
      counts[row.outcome]++;
      if (row.reason) reasons.set(row.reason, (reasons.get(row.reason) ?? 0) + 1);
    }
    for (const payment of result.payments) {
      payments++;
      if (payment.kind === 'back_pay') backPay++;
      amountFen += payment.amountFen;
      cityFen += payment.cityShareFen;
      nightsPaid += payment.nights;
    }
  };
  for (let p = 0; p < persons; p++) {
    if (offsets[p] === offsets[p + 1]) continue;
    const entry = roster[p]!;
    const stays: Stay[] = [];
    for (let k = offsets[p]!; k < offsets[p + 1]!; k++) stays.push(stayAt(order[k]!, entry.idNumber));
    tally(computePerson({ person: entry, stays, alreadyPaidNights: [], quarter: QUARTER, policy }));
  }
  for (let i = 0; i < rowsIn; i++) {
    if (valid[i] && person[i] === -1)
      tally(
        computePerson({ person: undefined, stays: [stayAt(i, '')], alreadyPaidNights: [], quarter: QUARTER, policy }),
      );
  }
  const computeMs = performance.now() - t;
  memo('compute');
  const computed = counts.paid + counts.not_eligible + counts.excluded;
  console.log(
    `  compute                        ${secs(computeMs)}  ${rate(computed, computeMs)}  (${personsComputed.toLocaleString('en-US')} computePerson calls)`,
  );

  const totalMs = performance.now() - start;
  const reconciles = rowsIn === counts.paid + counts.not_eligible + counts.excluded + quarantined;
  console.log(`  total parse+validate+compute   ${secs(totalMs)}  ${rate(rowsIn, totalMs)}   (target < 20 s)`);
  console.log(`  peak RSS                       ${mb(peakRss())}   (target < 500 MB)`);
  console.log('');
  console.log(
    `  rows in ${rowsIn} = paid ${counts.paid} + not eligible ${counts.not_eligible} + excluded ${counts.excluded} + quarantined ${quarantined}: ${reconciles ? 'reconciles' : 'DOES NOT RECONCILE'}`,
  );
  console.log(
    `  payments ${payments} (back-pay ${backPay}), ${nightsPaid} nights, ${(amountFen / 100).toFixed(2)} yuan, city share ${(cityFen / 100).toFixed(2)} yuan`,
  );
  console.log(
    `  not paid: ${[...reasons]
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `  quarantined: ${[...quarantineReasons]
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')}`,
  );
  if (!reconciles) process.exitCode = 1;
} finally {
  if (KEEP) console.log(`  kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
