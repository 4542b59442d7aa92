import type { IsoDate } from '../../platform/common/dates';
import { compareRecordIds, computePerson } from './compute';
import type { ExplanationFact } from './explain';
import type { Policy } from './policy';
import { type RawRecord, validateRosterRow, validateStayRow } from './rows';
import type { Payment, QuarantineReason, RosterEntry, RowOutcome, Stay } from './types';

// Many persons at once over computePerson: the compute activity's batches and whole cycles in memory
// (tests, property checks) go through the same computePersons.

export interface CycleCounts {
  rowsIn: number;
  paid: number;
  not_eligible: number;
  excluded: number;
  quarantined: number;
}

export interface CycleResult {
  /** One per input stay, in input order. */
  rows: RowOutcome[];
  /** Ordered by jurisdiction, then id number, then kind (CONTRACT.md payments.csv). */
  payments: Payment[];
  counts: CycleCounts;
}

export function comparePayments(a: Payment, b: Payment): number {
  if (a.jurisdiction !== b.jurisdiction) return a.jurisdiction < b.jurisdiction ? -1 : 1;
  if (a.idNumber !== b.idNumber) return a.idNumber < b.idNumber ? -1 : 1;
  return a.kind === b.kind ? 0 : a.kind < b.kind ? -1 : 1;
}

/** What a cycle knows of its persons beyond their roster entries and stays (all optional). */
export interface CycleFacts {
  /** Records already paid by other cycles and sent again unchanged. */
  alreadyPaidRecordIds?: ReadonlySet<string>;
  /** Paid records sent again with other content: record id → the dates paid before. */
  corrections?: ReadonlyMap<string, { admissionDate: IsoDate; dischargeDate: IsoDate }>;
  /** Persons on two different lines of a roster, unresolved at the frozen version. */
  rosterConflicts?: ReadonlySet<string>;
}

/**
 * Computes the stays of many persons — a whole cycle, or one batch of it (the compute activity calls
 * this batch by batch): groups stays by person in order of first appearance (the first roster entry
 * of an id number counts) and runs computePerson for each. Rows come back in input order, payments
 * person by person (regular before back-pay), which is the order the activity numbers them in.
 */
export function computePersons(
  roster: Iterable<RosterEntry>,
  stays: readonly Stay[],
  alreadyPaid: ReadonlyMap<string, readonly IsoDate[]>,
  quarter: string,
  policy: Policy,
  facts: CycleFacts = {},
): { rows: RowOutcome[]; payments: Payment[] } {
  const people = new Map<string, RosterEntry>();
  for (const entry of roster) if (!people.has(entry.idNumber)) people.set(entry.idNumber, entry);
  const byPerson = new Map<string, number[]>();
  stays.forEach((stay, i) => {
    const list = byPerson.get(stay.idNumber);
    if (list) list.push(i);
    else byPerson.set(stay.idNumber, [i]);
  });
  const rows: RowOutcome[] = new Array(stays.length);
  const payments: Payment[] = [];
  for (const [idNumber, indices] of byPerson) {
    const result = computePerson({
      person: people.get(idNumber),
      rosterConflict: facts.rosterConflicts?.has(idNumber) ?? false,
      stays: indices.map((i) => stays[i]!),
      alreadyPaidNights: alreadyPaid.get(idNumber) ?? [],
      ...(facts.alreadyPaidRecordIds ? { alreadyPaidRecordIds: facts.alreadyPaidRecordIds } : {}),
      ...(facts.corrections ? { corrections: facts.corrections } : {}),
      quarter,
      policy,
    });
    result.rows.forEach((row, k) => (rows[indices[k]!] = row));
    for (const payment of result.payments) payments.push(payment);
  }
  return { rows, payments };
}

/** A whole cycle over valid rows: computePersons, with payments in CONTRACT order and the outcome counts. */
export function computeCycle(
  roster: readonly RosterEntry[],
  stays: readonly Stay[],
  alreadyPaid: ReadonlyMap<string, readonly IsoDate[]>,
  quarter: string,
  policy: Policy,
  facts: CycleFacts = {},
): CycleResult {
  const { rows, payments } = computePersons(roster, stays, alreadyPaid, quarter, policy, facts);
  payments.sort(comparePayments);
  const counts: CycleCounts = { rowsIn: stays.length, paid: 0, not_eligible: 0, excluded: 0, quarantined: 0 };
  for (const row of rows) counts[row.outcome]++;
  return { rows, payments, counts };
}

/** A report line (CONTRACT.md report.csv) for any input row, quarantined ones included. */
export interface ReportRow {
  /** 1-based data line index within the input (the order rows were given). */
  index: number;
  recordId: string;
  outcome: RowOutcome['outcome'] | 'quarantined';
  reason: string | null;
  nights: number;
  amountFen: number;
  explanation: ExplanationFact[];
}

export interface RecordsCycleResult {
  report: ReportRow[];
  payments: Payment[];
  counts: CycleCounts;
  rosterQuarantined: { index: number; reason: QuarantineReason | 'duplicate_person'; detail: string }[];
}

/**
 * The whole pipeline in memory, from raw records: validate the roster and the extract (the same
 * validators ingest runs), compute the valid rows. Every extract row ends in exactly one outcome.
 * Duplicate record ids are not classified here: that rule has one implementation, the set-based SQL
 * of ingest (subsidy/activities/ingest.ts), tested through ingest on PostgreSQL.
 */
export function computeCycleFromRecords(input: {
  rosterRecords: readonly RawRecord[];
  stayRecords: readonly RawRecord[];
  today: IsoDate;
  quarter: string;
  policy: Policy;
  alreadyPaid?: ReadonlyMap<string, readonly IsoDate[]>;
}): RecordsCycleResult {
  const roster: RosterEntry[] = [];
  const seen = new Set<string>();
  const rosterQuarantined: RecordsCycleResult['rosterQuarantined'] = [];
  input.rosterRecords.forEach((raw, i) => {
    const checked = validateRosterRow(raw, { today: input.today });
    if (!checked.ok) rosterQuarantined.push({ index: i + 1, reason: checked.reason, detail: checked.detail });
    else if (seen.has(checked.row.idNumber))
      rosterQuarantined.push({
        index: i + 1,
        reason: 'duplicate_person',
        detail: 'id_number: already on an earlier line of this roster',
      });
    else {
      seen.add(checked.row.idNumber);
      roster.push(checked.row);
    }
  });

  const checked = input.stayRecords.map((raw) => validateStayRow(raw, { today: input.today }));
  const report: (ReportRow | undefined)[] = new Array(checked.length);
  const valid: Stay[] = [];
  const validIndex: number[] = [];
  checked.forEach((c, i) => {
    const recordId = (input.stayRecords[i]!.record_id ?? '').trim();
    if (!c.ok) {
      const verdict = c;
      report[i] = {
        index: i + 1,
        recordId,
        outcome: 'quarantined',
        reason: verdict.reason,
        nights: 0,
        amountFen: 0,
        explanation: [{ kind: 'quarantined', reason: verdict.reason, detail: verdict.detail }],
      };
    } else {
      valid.push(c.row);
      validIndex.push(i);
    }
  });
  const computed = computeCycle(roster, valid, input.alreadyPaid ?? new Map(), input.quarter, input.policy);
  computed.rows.forEach((row, k) => {
    const i = validIndex[k]!;
    report[i] = {
      index: i + 1,
      recordId: row.recordId,
      outcome: row.outcome,
      reason: row.reason,
      nights: row.nights,
      amountFen: row.amountFen,
      explanation: row.explanation,
    };
  });
  const counts: CycleCounts = { rowsIn: checked.length, paid: 0, not_eligible: 0, excluded: 0, quarantined: 0 };
  for (const row of report) counts[row!.outcome]++;
  return { report: report as ReportRow[], payments: computed.payments, counts, rosterQuarantined };
}

/** Bad input (DOMAIN.md §1): rows in = paid + not eligible + excluded + quarantined. */
export function reconciles(counts: CycleCounts): boolean {
  return counts.rowsIn === counts.paid + counts.not_eligible + counts.excluded + counts.quarantined;
}

/** Sorts record ids the way the rules do (compareRecordIds). */
export function sortRecordIds(ids: readonly string[]): string[] {
  return [...ids].sort(compareRecordIds);
}
