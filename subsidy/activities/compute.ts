import { setImmediate } from 'node:timers/promises';
import { type RawBuilder, sql } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { type NewEvent, prepareEvents } from '../../platform/eventstore';
import { activityMetadata, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import type { Actor, RunKind } from '../contracts/definitions';
import type { EntitlementRecord, RowOutcomeRecord } from '../contracts/events';
import { streams, toOutcomeColumns } from '../contracts/events';
import {
  type Category,
  type CycleFacts,
  computePersons,
  currentPolicy,
  firstDayOfQuarter,
  lastDayOfQuarter,
  type RosterEntry,
  removedByCorrection,
  type Stay,
} from '../rules';
import { type BulkRun, connect, lockFor, startBulkRun } from './bulk';

export interface ComputeInput {
  cycleId: string;
  quarter: string;
  runKind: RunKind;
  extractHash: string;
}

export interface ComputeResult {
  rosterVersion: number;
  policyVersion: string;
  jurisdictions: { jurisdiction: string; items: number; amountFen: number }[];
  rows: Record<'paid' | 'not_eligible' | 'excluded' | 'quarantined', number>;
  /** Corrections whose removed nights are to be recovered (record_corrected): the cycle opens one recovery each. */
  recoveries?: number;
}

/** A corrected record's removed nights, recovered from the payment that paid them (第十三条). */
export interface CorrectionRecovery {
  recoveryId: string;
  paymentId: string;
  amountFen: number;
}

const PERSONS_PER_BATCH = 2_000;
const ROWS_PER_EVENT = 1_000;
const ITEMS_PER_EVENT = 500;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function paymentIdFor(cycleId: string, jurisdiction: string, seq: number): string {
  return `${cycleId}:${jurisdiction}:${seq}`;
}

export type CorrectionEvent = {
  recordId: string;
  personRef: string;
  paymentId: string;
  before: { admissionDate: string; dischargeDate: string };
  after: { admissionDate: string; dischargeDate: string };
  removedNights: string[];
  recoveryFen: number;
  recoveryId: string;
};

type ExtractRow = {
  line_no: number;
  record_id: string;
  person_ref: string | null;
  hospital: string | null;
  admission_date: string | null;
  discharge_date: string | null;
  exclusion: string | null;
};
type RosterRow = {
  person_ref: string;
  jurisdiction: string;
  category: string;
  gender: string;
  birth_date: string;
  female_birth_date: string | null;
  enrolled_on: string;
  exited_on: string | null;
};

/** The rules core sees pseudonyms: the person reference stands where the ID number would. */
function toRosterEntry(row: RosterRow): RosterEntry {
  return {
    idNumber: row.person_ref,
    name: '',
    gender: row.gender as RosterEntry['gender'],
    birthDate: row.birth_date,
    femaleBirthDate: row.female_birth_date,
    jurisdiction: row.jurisdiction,
    category: row.category as RosterEntry['category'],
    bankCode: '',
    accountNo: '',
    enrolledOn: row.enrolled_on,
    exitedOn: row.exited_on,
  };
}

function toStay(row: ExtractRow): Stay {
  return {
    recordId: row.record_id,
    idNumber: row.person_ref!,
    name: '',
    hospital: row.hospital ?? '',
    admissionDate: row.admission_date!,
    dischargeDate: row.discharge_date!,
    exclusion: row.exclusion as Stay['exclusion'],
  };
}

/** Persons by reference, or every person in a range of references (a batch of the extract in person order). */
type PersonScope = { refs: string[] } | { from: string; to: string };

/** The condition "this column's person is in scope", for the batch queries. */
function personIn(column: string, scope: PersonScope): RawBuilder<boolean> {
  const ref = sql.ref(column);
  return 'refs' in scope
    ? sql<boolean>`${ref} = any(${scope.refs}::text[])`
    : sql<boolean>`${ref} between ${scope.from} and ${scope.to}`;
}

/** Loads what the rules need for a set of persons: their roster facts (at the frozen version) and nights already reserved by other cycles. */
async function loadPersons(
  deps: SubsidyDeps,
  scope: PersonScope,
  rosterVersion: number,
  excludeCycleId: string | null,
) {
  const roster = await deps.db
    .selectFrom('roster_entries')
    .select([
      'person_ref',
      'jurisdiction',
      'category',
      'gender',
      'birth_date',
      'female_birth_date',
      'enrolled_on',
      'exited_on',
    ])
    .where('valid_from_version', '<=', rosterVersion)
    .where((eb) => eb.or([eb('valid_to_version', 'is', null), eb('valid_to_version', '>', rosterVersion)]))
    .where(personIn('person_ref', scope))
    .execute();
  // Nights a correction recorded by another cycle removed were never hospital nights: they free the yearly cap.
  let reservedQuery = deps.db
    .selectFrom('entitlements as e')
    .select([
      'e.person_ref',
      sql<string[]>`array(
        select n from unnest(e.night_dates) n
        except
        select unnest(c.removed_nights) from corrected_nights c
        where c.payment_id = e.payment_id${excludeCycleId ? sql` and c.cycle_id <> ${excludeCycleId}` : sql``}
      )`.as('night_dates'),
    ])
    .where('e.review_status', 'in', ['pending', 'approved'])
    .where(personIn('e.person_ref', scope));
  if (excludeCycleId) reservedQuery = reservedQuery.where('e.cycle_id', '<>', excludeCycleId);
  const reserved = await reservedQuery.execute();
  const nights = new Map<string, string[]>();
  for (const r of reserved) {
    const list = nights.get(r.person_ref);
    if (list) list.push(...r.night_dates);
    else nights.set(r.person_ref, [...r.night_dates]);
  }
  const conflicts = await deps.db
    .selectFrom('roster_conflicts')
    .select('person_ref')
    .where('version', '<=', rosterVersion)
    .where((eb) => eb.or([eb('resolved_version', 'is', null), eb('resolved_version', '>', rosterVersion)]))
    .where(personIn('person_ref', scope))
    .execute();
  return {
    roster: new Map(roster.map((r) => [r.person_ref, toRosterEntry(r)])),
    nights,
    conflicts: new Set(conflicts.map((c) => c.person_ref)),
  };
}

interface PaidRecord {
  recordId: string;
  personRef: string;
  paymentId: string;
  admissionDate: string;
  dischargeDate: string;
  exclusion: string | null;
  category: string;
  /** The nights the payment paid within this record's dates, less those a correction already removed. */
  paidNights: string[];
  /** The dates of the record as corrected by other cycles: a copy with these dates is the same record again. */
  correctedTo: { admissionDate: string; dischargeDate: string }[];
}

/** Records of these persons paid (approved) by other cycles, with the content they were paid on. */
async function loadPaidRecords(
  deps: SubsidyDeps,
  scope: PersonScope,
  cycleId: string,
): Promise<Map<string, PaidRecord[]>> {
  // The row a paid outcome was computed from: an extract line's own (its cycle, its line), or for a record carried
  // forward (DOMAIN.md) the stored row its outcome names. Self-applications (other negative lines) are not records.
  const carried = sql<boolean>`ro.line_no <= ${-CARRIED_LINE_BASE}`;
  const sourceCycle = sql<string>`case when ${carried} then ro.explanation -> 0 ->> 'fromCycle' else ro.cycle_id end`;
  const sourceLine = sql<number>`case when ${carried} then (ro.explanation -> 0 ->> 'line')::int else ro.line_no end`;
  const rows = await deps.db
    .selectFrom('row_outcomes as ro')
    .innerJoin('subsidy_cycles as c', (join) => join.on('c.cycle_id', '=', sourceCycle))
    .innerJoin('extract_rows as er', (join) =>
      join.onRef('er.extract_hash', '=', 'c.extract_hash').on('er.line_no', '=', sourceLine),
    )
    .innerJoin('entitlements as e', 'e.payment_id', 'ro.payment_id')
    .select([
      'ro.record_id',
      'ro.person_ref',
      'ro.payment_id',
      'er.admission_date',
      'er.discharge_date',
      'er.exclusion',
      'e.category',
      'e.night_dates',
    ])
    .where('ro.outcome', '=', 'paid')
    .where('ro.cycle_id', '<>', cycleId)
    .where((eb) => eb.or([eb('ro.line_no', '>', 0), carried]))
    .where('e.review_status', '=', 'approved')
    .where(personIn('ro.person_ref', scope))
    .execute();
  // Corrections recorded by other cycles: their removed nights are gone already (never recovered twice).
  const corrections = await deps.db
    .selectFrom('corrected_nights')
    .select(['payment_id', 'record_id', 'removed_nights', 'admission_date', 'discharge_date'])
    .where('cycle_id', '<>', cycleId)
    .where(personIn('person_ref', scope))
    .execute();
  const correctionsOf = new Map<string, typeof corrections>();
  for (const c of corrections) {
    const key = `${c.payment_id}\u001f${c.record_id}`;
    const list = correctionsOf.get(key);
    if (list) list.push(c);
    else correctionsOf.set(key, [c]);
  }
  const out = new Map<string, PaidRecord[]>();
  for (const r of rows) {
    const last = r.admission_date === r.discharge_date ? r.discharge_date! : addDaysIso(r.discharge_date!, -1);
    const corrected = correctionsOf.get(`${r.payment_id}\u001f${r.record_id}`) ?? [];
    const removed = new Set(corrected.flatMap((c) => c.removed_nights));
    const record: PaidRecord = {
      recordId: r.record_id,
      personRef: r.person_ref!,
      paymentId: r.payment_id!,
      admissionDate: r.admission_date!,
      dischargeDate: r.discharge_date!,
      exclusion: r.exclusion,
      category: r.category,
      paidNights: r.night_dates.filter((n) => n >= r.admission_date! && n <= last && !removed.has(n)),
      correctedTo: corrected.map((c) => ({ admissionDate: c.admission_date, dischargeDate: c.discharge_date })),
    };
    const list = out.get(record.personRef);
    if (list) list.push(record);
    else out.set(record.personRef, [record]);
  }
  return out;
}

function addDaysIso(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Sorts rows against what was paid before (DOMAIN.md): a paid record sent again unchanged is already
 * processed; with other content it is a correction, computed again, and the paid nights it no
 * longer covers become a recovery (record_corrected).
 */
function classifyResent(rows: readonly ExtractRow[], paidByPerson: ReadonlyMap<string, PaidRecord[]>) {
  const unchanged = new Set<string>();
  const corrections = new Map<string, { admissionDate: string; dischargeDate: string }>();
  const recoveries: { record: PaidRecord; after: ExtractRow; nights: string[]; amountFen: number }[] = [];
  for (const row of rows) {
    const before = paidByPerson.get(row.person_ref!)?.find((p) => p.recordId === row.record_id);
    if (!before) continue;
    const sameDates = (dates: { admissionDate: string; dischargeDate: string }) =>
      dates.admissionDate === row.admission_date && dates.dischargeDate === row.discharge_date;
    if (
      (sameDates(before) || before.correctedTo.some(sameDates)) &&
      (before.exclusion ?? null) === (row.exclusion ?? null)
    ) {
      unchanged.add(row.record_id);
      continue;
    }
    corrections.set(row.record_id, { admissionDate: before.admissionDate, dischargeDate: before.dischargeDate });
    const removed = removedByCorrection(
      before.paidNights,
      { admissionDate: row.admission_date!, dischargeDate: row.discharge_date!, excluded: row.exclusion !== null },
      before.category as Category,
      currentPolicy(),
    );
    if (removed.amountFen > 0)
      recoveries.push({ record: before, after: row, nights: removed.nights, amountFen: removed.amountFen });
  }
  return { unchanged, corrections, recoveries };
}

/**
 * Applies the rules (computePersons, the same code a whole cycle in memory runs) to a batch of rows
 * in person order, and turns the result into the records the events carry: payments numbered per
 * jurisdiction in person order, each row pointing at the payment that paid it.
 */
function evaluateBatch(
  cycleId: string,
  input: { quarter: string; runKind: RunKind },
  roster: ReadonlyMap<string, RosterEntry>,
  rows: readonly ExtractRow[],
  alreadyPaidNights: ReadonlyMap<string, readonly string[]>,
  nextSeq: (jurisdiction: string) => number,
  facts: CycleFacts = {},
): { outcomes: RowOutcomeRecord[]; items: EntitlementRecord[] } {
  const result = computePersons(
    roster.values(),
    rows.map(toStay),
    alreadyPaidNights,
    input.quarter,
    currentPolicy(),
    facts,
  );
  const items: EntitlementRecord[] = result.payments.map((p) => {
    const seq = nextSeq(p.jurisdiction);
    return {
      paymentId: paymentIdFor(cycleId, p.jurisdiction, seq),
      jurisdiction: p.jurisdiction,
      seq,
      personRef: p.idNumber,
      category: p.category,
      kind: input.runKind === 'back_pay' ? 'back_pay' : p.kind,
      nights: p.nights,
      amountFen: p.amountFen,
      cityShareFen: p.cityShareFen,
      countyShareFen: p.countyShareFen,
      recordIds: p.recordIds,
      nightDates: p.nightDates,
      policyVersion: p.policyVersion,
    };
  });
  const paymentOf = new Map<string, string>();
  for (const item of items) for (const id of item.recordIds) if (!paymentOf.has(id)) paymentOf.set(id, item.paymentId);
  const outcomes = result.rows.map(
    (r, i): RowOutcomeRecord => ({
      lineNo: rows[i]!.line_no,
      recordId: r.recordId,
      personRef: rows[i]!.person_ref,
      jurisdiction: roster.get(rows[i]!.person_ref!)?.jurisdiction ?? null,
      outcome: r.outcome,
      reason: r.reason,
      nights: r.nights,
      amountFen: r.amountFen,
      paymentId: r.nights > 0 ? (paymentOf.get(r.recordId) ?? null) : null,
      explanation: r.explanation,
    }),
  );
  return { outcomes, items };
}

/** Rows per part of a batch computed without a pause. */
const ROWS_PER_PART = 2_000;

/**
 * `evaluate` (evaluateBatch) over parts of whole persons (in order of first appearance, so payments are numbered
 * as for the batch at once, and each row keeps its place), yielding between parts: the last batch's
 * append, which needs this process between its statements, is not held up behind a whole batch.
 */
async function evaluateInParts(
  rows: readonly ExtractRow[],
  evaluate: (part: ExtractRow[]) => { outcomes: RowOutcomeRecord[]; items: EntitlementRecord[] },
): Promise<{ outcomes: RowOutcomeRecord[]; items: EntitlementRecord[] }> {
  const rowsOf = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const list = rowsOf.get(row.person_ref!);
    if (list) list.push(i);
    else rowsOf.set(row.person_ref!, [i]);
  });
  const outcomes: RowOutcomeRecord[] = new Array(rows.length);
  const items: EntitlementRecord[] = [];
  let part: number[] = [];
  const evaluatePart = async () => {
    const result = evaluate(part.map((i) => rows[i]!));
    for (let k = 0; k < part.length; k++) outcomes[part[k]!] = result.outcomes[k]!;
    items.push(...result.items);
    part = [];
    await setImmediate();
  };
  for (const indices of rowsOf.values()) {
    part.push(...indices);
    if (part.length >= ROWS_PER_PART) await evaluatePart();
  }
  if (part.length > 0) await evaluatePart();
  return { outcomes, items };
}

/**
 * Computes a cycle: freezes its inputs (roster version, extract hash, policy version), then walks the
 * extract person by person through the rules core, appending outcomes and entitlements as events
 * in batches. Event ids come from (cycle, batch, chunk), so a retry after a crash re-appends nothing.
 */
export async function computeCycleEntitlements(deps: SubsidyDeps, input: ComputeInput): Promise<ComputeResult> {
  const done = await deps.db
    .selectFrom('subsidy_cycles')
    .select(['status', 'summary', 'roster_version', 'policy_version'])
    .where('cycle_id', '=', input.cycleId)
    .executeTakeFirst();
  if (done && done.status !== 'computing' && done.summary) {
    const summary = done.summary as unknown as Pick<ComputeResult, 'jurisdictions' | 'rows' | 'recoveries'>;
    return { rosterVersion: done.roster_version, policyVersion: done.policy_version, ...summary };
  }

  const metadata = activityMetadata(SYSTEM_ACTOR);
  const stream = streams.cycle(input.cycleId);
  const latest = await deps.db
    .selectFrom('roster_versions')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  const frozen = await deps.store.append(
    stream,
    [
      subsidyEvent(
        'CycleInputsFrozen',
        {
          cycleId: input.cycleId,
          quarter: input.quarter,
          runKind: input.runKind,
          extractHash: input.extractHash,
          rosterVersion: Number(latest?.v ?? 0),
          policyVersion: currentPolicy().version,
        },
        input.cycleId,
        'frozen',
      ),
    ],
    { metadata },
  );
  // On a retry the first freeze stands, whatever was loaded since (第十条: later edits go to the next cycle).
  const rosterVersion = Number(frozen.events[0]!.data.rosterVersion);
  const policyVersion = String(frozen.events[0]!.data.policyVersion);

  // One attempt at a time per cycle; the lock goes with its connection (a dead worker's is released), which
  // also reads the extract in person order.
  const run = startBulkRun<ComputeCheckpoint | undefined>(undefined);
  const lock = await connect(deps.databaseUrl);
  try {
    await lockFor(lock, `compute:${input.cycleId}`, run.signal);
    return await computeBatches(deps, input, { rosterVersion, policyVersion, stream, metadata }, run, lock);
  } finally {
    run.stop();
    await lock.end().catch(() => {});
  }
}

/** Carried-forward rows are numbered from here down (-1_000_000_001, …), apart from extract lines and self-applications. */
const CARRIED_LINE_BASE = 1_000_000_000;

/** A stored row of an earlier extract, discharged in this cycle's quarter (DOMAIN.md: carried-forward records). */
type CarriedRow = ExtractRow & { fromQuarter: string; fromCycle: string; sourceLine: number };

/**
 * The records earlier cycles kept because they were discharged after their quarter, and whose
 * discharge falls in this quarter: computed here from the stored row, whether or not this extract
 * sends them again — a copy in this extract is the same record, and that copy stands. Of several
 * stored copies the latest extract's counts. In person order, numbered below every extract line.
 */
async function loadCarriedForward(deps: SubsidyDeps, input: ComputeInput): Promise<CarriedRow[]> {
  if (input.runKind !== 'regular') return [];
  const rows = await deps.db
    .selectFrom('row_outcomes as ro')
    .innerJoin('subsidy_cycles as c', 'c.cycle_id', 'ro.cycle_id')
    .innerJoin('extract_rows as er', (join) =>
      join.onRef('er.extract_hash', '=', 'c.extract_hash').onRef('er.line_no', '=', 'ro.line_no'),
    )
    .select([
      'er.line_no',
      'er.record_id',
      'er.person_ref',
      'er.hospital',
      'er.admission_date',
      'er.discharge_date',
      'er.exclusion',
      'c.quarter',
      'c.cycle_id',
    ])
    .where('ro.reason', '=', 'discharged_after_quarter')
    .where('ro.cycle_id', '<>', input.cycleId)
    .where('er.discharge_date', '>=', firstDayOfQuarter(input.quarter))
    .where('er.discharge_date', '<=', lastDayOfQuarter(input.quarter))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('extract_rows as copy')
            .select('copy.line_no')
            .where('copy.extract_hash', '=', input.extractHash)
            .whereRef('copy.record_id', '=', 'er.record_id'),
        ),
      ),
    )
    .orderBy('er.person_ref')
    .orderBy('er.record_id')
    .orderBy('c.quarter', 'desc')
    .orderBy('er.line_no')
    .execute();
  const seen = new Set<string>();
  const carried: CarriedRow[] = [];
  for (const row of rows) {
    if (seen.has(row.record_id)) continue;
    seen.add(row.record_id);
    carried.push({
      ...row,
      line_no: -(CARRIED_LINE_BASE + carried.length + 1),
      fromQuarter: row.quarter,
      fromCycle: row.cycle_id,
      sourceLine: row.line_no,
    });
  }
  return carried;
}

/** Extract rows per batch (whole persons: a batch ends at a person boundary). */
const ROWS_PER_BATCH = 20_000;

/**
 * The extract's valid rows after a person, in person and line order, read once: PostgreSQL sorts them in one pass
 * and a cursor hands them over (an index kept in person order made every row the ingest COPYs land at a random place
 * in it, two thirds of the COPY's cost). `next` returns whole persons, about ROWS_PER_BATCH rows, and [] at the end.
 */
export class RowsInPersonOrder {
  /** The last person's rows of the previous read: they may go on in the next one. */
  private held: ExtractRow[] = [];
  private ended = false;

  constructor(
    private readonly cursor: Cursor<ExtractRow>,
    private readonly batchRows: number,
  ) {}

  static open(client: pg.Client, extractHash: string, after: string, batchRows = ROWS_PER_BATCH) {
    // A person reference is hex, in the same order under every collation; "C" compares bytes (half the sort's time).
    const cursor = client.query(
      new Cursor<ExtractRow>(
        `select line_no, record_id, person_ref, hospital, admission_date, discharge_date, exclusion
           from extract_rows
          where extract_hash = $1 and quarantine_reason is null and person_ref collate "C" > $2
          order by person_ref collate "C", line_no`,
        [extractHash, after],
      ),
    );
    return new RowsInPersonOrder(cursor, batchRows);
  }

  async next(): Promise<ExtractRow[]> {
    let rows = this.held;
    this.held = [];
    while (!this.ended) {
      const read = await this.cursor.read(this.batchRows);
      if (read.length < this.batchRows) this.ended = true;
      rows = rows.length === 0 ? read : rows.concat(read);
      if (this.ended || rows.length === 0) break;
      const last = rows[rows.length - 1]!.person_ref;
      let cut = rows.length;
      while (cut > 0 && rows[cut - 1]!.person_ref === last) cut--;
      // One person so far (more rows than a batch): read on until the next person starts.
      if (cut === 0) continue;
      this.held = rows.slice(cut);
      return rows.slice(0, cut);
    }
    return rows;
  }

  close(): Promise<void> {
    return this.cursor.close();
  }
}

/** Where a compute attempt stands after a committed batch: a retry resumes after `after`. */
interface ComputeCheckpoint {
  batch: number;
  after: string;
  counts: ComputeResult['rows'];
  totals: [string, { items: number; amountFen: number }][];
  seqs: [string, number][];
  /** Corrections that removed paid nights so far (recoveries the cycle opens). */
  recoveries?: number;
}

async function computeBatches(
  deps: SubsidyDeps,
  input: ComputeInput,
  frozen: {
    rosterVersion: number;
    policyVersion: string;
    stream: string;
    metadata: ReturnType<typeof activityMetadata>;
  },
  run: BulkRun<ComputeCheckpoint | undefined>,
  reader: pg.Client,
): Promise<ComputeResult> {
  const { rosterVersion, policyVersion, stream, metadata } = frozen;
  const counts: ComputeResult['rows'] = { paid: 0, not_eligible: 0, excluded: 0, quarantined: 0 };
  const totals = new Map<string, { items: number; amountFen: number }>();
  const seqs = new Map<string, number>();
  const nextSeq = (jurisdiction: string) => {
    const seq = (seqs.get(jurisdiction) ?? 0) + 1;
    seqs.set(jurisdiction, seq);
    return seq;
  };

  // Quarantined rows: their outcome is already known from ingest.
  const quarantined = await deps.db
    .selectFrom('extract_rows')
    .select(['line_no', 'record_id', 'person_ref', 'quarantine_reason', 'quarantine_detail'])
    .where('extract_hash', '=', input.extractHash)
    .where('quarantine_reason', 'is not', null)
    .orderBy('line_no')
    .execute();
  counts.quarantined = quarantined.length;
  // A quarantined row with a sound ID number is shown to the person's county (roster at the frozen version).
  const quarantinedRefs = [...new Set(quarantined.flatMap((r) => (r.person_ref ? [r.person_ref] : [])))];
  const quarantinedJurisdiction = new Map<string, string>();
  for (const refs of chunk(quarantinedRefs, PERSONS_PER_BATCH)) {
    for (const [ref, entry] of (await loadPersons(deps, { refs }, rosterVersion, input.cycleId)).roster)
      quarantinedJurisdiction.set(ref, entry.jurisdiction);
  }
  const quarantineEvents: NewEvent[] = chunk(quarantined, ROWS_PER_EVENT).map((rows, i) =>
    subsidyEvent(
      'RowOutcomesRecorded',
      {
        cycleId: input.cycleId,
        columns: toOutcomeColumns(
          rows.map((r) => ({
            lineNo: r.line_no,
            recordId: r.record_id,
            personRef: r.person_ref,
            jurisdiction: (r.person_ref && quarantinedJurisdiction.get(r.person_ref)) || null,
            outcome: 'quarantined' as const,
            reason: r.quarantine_reason,
            nights: 0,
            amountFen: 0,
            paymentId: null,
            explanation: [
              {
                kind: 'quarantined' as const,
                reason: r.quarantine_reason!,
                detail: `line ${r.line_no}: ${r.quarantine_detail ?? r.quarantine_reason}`,
              },
            ],
          })),
        ),
      },
      input.cycleId,
      'quarantined',
      i,
    ),
  );
  if (quarantineEvents.length > 0) await deps.store.append(stream, quarantineEvents, { metadata });

  // Resume after the last batch the previous attempt reported appended; a batch appended after that
  // report is computed again to the same event ids, and its append is a no-op.
  let recoveries = 0;
  let after = '';
  let first = 0;
  const resumed = run.resumedFrom;
  if (resumed) {
    ({ after } = resumed);
    first = resumed.batch + 1;
    Object.assign(counts, resumed.counts);
    for (const [j, t] of resumed.totals) totals.set(j, t);
    for (const [j, seq] of resumed.seqs) seqs.set(j, seq);
    recoveries = resumed.recoveries ?? 0;
  }
  // Batches of whole persons, read in person order.
  let pending: Promise<void> = Promise.resolve();
  const carried = await loadCarriedForward(deps, input);
  const carriedFrom = new Map(carried.map((r) => [r.line_no, r]));
  let nextCarried = carried.findIndex((r) => r.person_ref! > after);
  if (nextCarried < 0) nextCarried = carried.length;
  const extract = RowsInPersonOrder.open(reader, input.extractHash, after);
  // The rows of the next batch of persons, and everything the rules need about them.
  const fetchBatch = async () => {
    const rows: ExtractRow[] = await extract.next();
    // Carried-forward rows join the batch of their person's range (or the last batch, after the extract's persons).
    const last = rows.length > 0 ? rows[rows.length - 1]!.person_ref! : undefined;
    while (nextCarried < carried.length && (last === undefined || carried[nextCarried]!.person_ref! <= last))
      rows.push(carried[nextCarried++]!);
    if (rows.length === 0) return undefined;
    let lowest = rows[0]!.person_ref!;
    let to = lowest;
    for (const row of rows) {
      if (row.person_ref! < lowest) lowest = row.person_ref!;
      if (row.person_ref! > to) to = row.person_ref!;
    }
    const scope = { from: lowest, to };
    const [persons, paidRecords] = await Promise.all([
      loadPersons(deps, scope, rosterVersion, input.cycleId),
      loadPaidRecords(deps, scope, input.cycleId),
    ]);
    return { rows, after: to, ...persons, paidRecords };
  };
  // Three things at once: the next batch is read while this one is computed, and this one's append
  // commits while the next is computed (its checkpoint is reported only once it has committed).
  let next = fetchBatch();
  for (let batch = first; ; batch++) {
    const fetched = await next;
    if (!fetched) break;
    const { rows, roster, nights, conflicts, paidRecords } = fetched;
    after = fetched.after;
    next = fetchBatch();
    next.catch(() => {}); // a failure surfaces when the next batch is awaited, not as an unhandled rejection
    const resent = classifyResent(rows, paidRecords);
    // Nights a correction in this very batch removes free the cap for the person's other stays now.
    for (const r of resent.recoveries) {
      const removed = new Set(r.nights);
      const reserved = nights.get(r.record.personRef);
      if (reserved)
        nights.set(
          r.record.personRef,
          reserved.filter((n) => !removed.has(n)),
        );
    }
    const facts: CycleFacts = {
      alreadyPaidRecordIds: resent.unchanged,
      corrections: resent.corrections,
      rosterConflicts: conflicts,
    };
    const { outcomes, items } = await evaluateInParts(rows, (part) =>
      evaluateBatch(input.cycleId, input, roster, part, nights, nextSeq, facts),
    );
    const corrected: CorrectionEvent[] = resent.recoveries.map((r) => ({
      recordId: r.record.recordId,
      personRef: r.record.personRef,
      paymentId: r.record.paymentId,
      before: { admissionDate: r.record.admissionDate, dischargeDate: r.record.dischargeDate },
      after: { admissionDate: r.after.admission_date!, dischargeDate: r.after.discharge_date! },
      removedNights: r.nights,
      recoveryFen: r.amountFen,
      recoveryId: `recovery:${input.cycleId}:${r.record.paymentId}:${r.record.recordId}`,
    }));
    for (const o of outcomes) {
      const source = o.lineNo <= -CARRIED_LINE_BASE ? carriedFrom.get(o.lineNo) : undefined;
      if (source)
        o.explanation.unshift({
          kind: 'carried_forward',
          fromQuarter: source.fromQuarter,
          fromCycle: source.fromCycle,
          line: source.sourceLine,
        });
    }
    for (const o of outcomes) counts[o.outcome]++;
    for (const item of items) {
      const total = totals.get(item.jurisdiction) ?? { items: 0, amountFen: 0 };
      total.items++;
      total.amountFen += item.amountFen;
      totals.set(item.jurisdiction, total);
    }
    const events = [
      ...chunk(outcomes, ROWS_PER_EVENT).map((rowsChunk, i) =>
        subsidyEvent(
          'RowOutcomesRecorded',
          { cycleId: input.cycleId, columns: toOutcomeColumns(rowsChunk) },
          input.cycleId,
          'batch',
          batch,
          'rows',
          i,
        ),
      ),
      ...chunk(items, ITEMS_PER_EVENT).map((itemsChunk, i) =>
        subsidyEvent(
          'EntitlementsComputed',
          { cycleId: input.cycleId, items: itemsChunk },
          input.cycleId,
          'batch',
          batch,
          'items',
          i,
        ),
      ),
      ...chunk(corrected, ITEMS_PER_EVENT).map((c, i) =>
        subsidyEvent(
          'RecordsCorrected',
          { cycleId: input.cycleId, corrections: c },
          input.cycleId,
          'batch',
          batch,
          'corrected',
          i,
        ),
      ),
    ];
    recoveries += corrected.length;
    const checkpoint: ComputeCheckpoint = {
      batch,
      after,
      counts: { ...counts },
      totals: [...totals].map(([j, t]) => [j, { ...t }]),
      seqs: [...seqs],
      recoveries,
    };
    // Serialised while the last batch's append runs, not under the store's lock; one event at a time,
    // so the append's round trips to the database are not held up behind the whole batch.
    for (const event of events) {
      prepareEvents([event]);
      await setImmediate();
    }
    await pending;
    pending = deps.store.append(stream, events, { metadata }).then(() => run.checkpoint(checkpoint));
    pending.catch(() => {}); // a failure surfaces at the next await of `pending`, not as an unhandled rejection
  }
  await pending;
  await extract.close();

  const jurisdictions = [...totals.entries()]
    .map(([jurisdiction, t]) => ({ jurisdiction, items: t.items, amountFen: t.amountFen }))
    .sort((a, b) => a.jurisdiction.localeCompare(b.jurisdiction));
  await deps.store.append(
    stream,
    [
      subsidyEvent(
        'CycleComputed',
        { cycleId: input.cycleId, jurisdictions, rows: counts, recoveries },
        input.cycleId,
        'computed',
      ),
    ],
    { metadata },
  );
  return { rosterVersion, policyVersion, jurisdictions, rows: counts, recoveries };
}

/** The recoveries a cycle's corrections call for: ids and amounts, for the cycle to open one recovery workflow each. */
export async function correctionRecoveries(
  deps: SubsidyDeps,
  input: { cycleId: string },
): Promise<CorrectionRecovery[]> {
  const events = await deps.store.readStream(streams.cycle(input.cycleId));
  return events
    .filter((e) => e.type === 'RecordsCorrected')
    .flatMap((e) => (e.data as unknown as { corrections: CorrectionEvent[] }).corrections)
    .map((c) => ({ recoveryId: c.recoveryId, paymentId: c.paymentId, amountFen: c.recoveryFen }));
}

/**
 * A self-application of an uninsured person (未参保, 第七条), entered by the county with its documents:
 * the same rules, counting every night already reserved — in this cycle too — against the cap.
 */
export async function computeSelfApplication(
  deps: SubsidyDeps,
  input: { cycleId: string; jurisdiction: string; applicationId: string; actor: Actor; nextSeq: number },
): Promise<{ seq: number | null }> {
  const [extractHash, lineText] = splitApplicationId(input.applicationId);
  const row = await deps.db
    .selectFrom('extract_rows')
    .select(['line_no', 'record_id', 'person_ref', 'hospital', 'admission_date', 'discharge_date', 'exclusion'])
    .where('extract_hash', '=', extractHash)
    .where('line_no', '=', Number(lineText))
    .executeTakeFirst();
  if (!row?.person_ref) throw new Error(`unknown self-application ${input.applicationId}`);
  const cycle = await deps.db
    .selectFrom('subsidy_cycles')
    .select(['roster_version', 'quarter'])
    .where('cycle_id', '=', input.cycleId)
    .executeTakeFirstOrThrow();
  const { roster, nights, conflicts } = await loadPersons(deps, { refs: [row.person_ref] }, cycle.roster_version, null);
  const person = roster.get(row.person_ref);
  if (person && person.jurisdiction !== input.jurisdiction) {
    throw new Error(`the applicant belongs to ${person.jurisdiction}, not ${input.jurisdiction}`);
  }
  let seq: number | null = null;
  const evaluated = evaluateBatch(
    input.cycleId,
    { quarter: cycle.quarter, runKind: 'regular' },
    roster,
    [row],
    nights,
    () => {
      seq = input.nextSeq;
      return seq;
    },
    { rosterConflicts: conflicts },
  );
  const item = evaluated.items[0] ?? null;
  // Self-applications are numbered -1, -2, … in the cycle's row outcomes, apart from extract lines.
  const outcome = { ...evaluated.outcomes[0]!, lineNo: -row.line_no };
  await deps.store.append(
    streams.review(input.cycleId, input.jurisdiction),
    [
      subsidyEvent(
        'SelfApplicationComputed',
        { cycleId: input.cycleId, applicationId: input.applicationId, actor: input.actor, row: outcome, item },
        input.cycleId,
        input.applicationId,
      ),
    ],
    { metadata: activityMetadata(input.actor) },
  );
  return { seq: item ? item.seq : null };
}

export function selfApplicationSource(cycleId: string): string {
  return `self:${cycleId}`;
}

function splitApplicationId(applicationId: string): [string, string] {
  const at = applicationId.lastIndexOf('#');
  if (at < 0) throw new Error(`bad application id ${applicationId}`);
  return [applicationId.slice(0, at), applicationId.slice(at + 1)];
}
