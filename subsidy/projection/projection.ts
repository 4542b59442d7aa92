import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema';
import type { Projection, StoredEvent } from '../../platform/eventstore';
import {
  type EntitlementRecord,
  type RowOutcomeColumns,
  type SubsidyEvent,
  toOutcomeColumns,
} from '../contracts/events';

type Db = Kysely<Database>;
type Handlers = {
  [T in SubsidyEvent['type']]: (
    db: Db,
    data: Extract<SubsidyEvent, { type: T }>['data'],
    event: StoredEvent,
  ) => Promise<void>;
};

const CHUNK = 1_000;
async function inChunks<T>(items: readonly T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await write(items.slice(i, i + CHUNK));
}

const VERDICT = { approve: 'approved', reject: 'rejected', exclude: 'excluded' } as const;

/** How each subsidy event changes the query tables. Every write goes through `db`, so a rebuild can aim it at another schema. */
const handlers: Handlers = {
  RosterVersionLoaded: async (db, d) => {
    await db
      .insertInto('roster_versions')
      .values({
        version: d.version,
        file_hash: d.fileHash,
        entries: d.entries,
        changed: d.changed,
        quarantined: d.quarantined,
        loaded_at: d.loadedAt,
      })
      .execute();
  },
  RosterEntriesRecorded: async (db, d) => {
    await inChunks(d.entries, async (entries) => {
      // One array parameter (not one per person), so the planner probes the primary key per person
      // even while a large first roster is still filling the table in this transaction.
      const refs = sql<string>`any(${entries.map((e) => e.personRef)}::text[])`;
      // A person on one line of a later roster resolves their conflict.
      await db
        .updateTable('roster_conflicts')
        .set({ resolved_version: d.version })
        .where('person_ref', '=', refs)
        .where('resolved_version', 'is', null)
        .where('version', '<', d.version)
        .execute();
      await db
        .updateTable('roster_entries')
        .set({ valid_to_version: d.version })
        .where('person_ref', '=', refs)
        .where('valid_to_version', 'is', null)
        .execute();
      await insertRecords(db, 'roster_entries', entries, {
        person_ref: { field: 'personRef', type: 'text' },
        valid_from_version: { value: d.version },
        jurisdiction: { field: 'jurisdiction', type: 'text' },
        category: { field: 'category', type: 'text' },
        gender: { field: 'gender', type: 'text' },
        birth_date: { field: 'birthDate', type: 'date' },
        female_birth_date: { field: 'femaleBirthDate', type: 'date' },
        enrolled_on: { field: 'enrolledOn', type: 'date' },
        exited_on: { field: 'exitedOn', type: 'date' },
      });
    });
  },
  CycleInputsFrozen: async (db, d) => {
    await db
      .insertInto('subsidy_cycles')
      .values({
        cycle_id: d.cycleId,
        quarter: d.quarter,
        run_kind: d.runKind,
        extract_hash: d.extractHash,
        roster_version: d.rosterVersion,
        policy_version: d.policyVersion,
        status: 'computing',
        summary: null,
      })
      .execute();
  },
  ExtractIngested: async () => {},
  RowOutcomesRecorded: async (db, d, event) => {
    // Events before 2026-12 carry one object per row: the same rows, turned column-wise here.
    await insertOutcomeColumns(
      db,
      'columns' in d ? { storedAt: [event.position] } : { cycleId: d.cycleId, columns: toOutcomeColumns(d.rows) },
    );
  },
  EntitlementsComputed: async (db, d) => {
    await insertEntitlements(db, d.cycleId, d.items);
  },
  CycleComputed: async (db, d) => {
    await db
      .updateTable('subsidy_cycles')
      .set({
        status: 'computed',
        summary: JSON.stringify({
          jurisdictions: d.jurisdictions,
          rows: d.rows,
          ...(d.recoveries ? { recoveries: d.recoveries } : {}),
        }),
      })
      .where('cycle_id', '=', d.cycleId)
      .execute();
  },
  SelfApplicationComputed: async (db, d, event) => {
    await handlers.RowOutcomesRecorded(db, { cycleId: d.cycleId, rows: [d.row] }, event);
    if (d.item) await insertEntitlements(db, d.cycleId, [d.item]);
  },
  ReviewDecisionRecorded: async (db, d) => {
    let query = db
      .updateTable('entitlements')
      .set({
        review_status: VERDICT[d.decision],
        review_reason: d.decision === 'exclude' ? d.exclusionCode : d.reason,
        review_note: d.reason,
        reviewed_by: d.actor.subject,
      })
      .where('cycle_id', '=', d.cycleId)
      .where('jurisdiction', '=', d.jurisdiction);
    if (d.selection.scope === 'items') {
      query = query.where('seq', 'in', d.selection.seqs);
    } else {
      query = query.where('review_status', '=', 'pending');
      const except = d.selection.except ?? [];
      if (except.length > 0) query = query.where('seq', 'not in', except);
    }
    await query.execute();
  },
  ReviewSubmitted: async () => {},
  FundingRequested: async (db, d) => {
    await db
      .insertInto('funding_requests')
      .values({
        cycle_id: d.cycleId,
        jurisdiction: d.jurisdiction,
        amount_fen: d.amountFen,
        city_share_fen: d.cityShareFen,
        county_share_fen: d.countyShareFen,
        payments: d.payments,
        status: 'requested',
        confirmed_by: null,
      })
      .execute();
  },
  FundingConfirmed: async (db, d) => {
    await db
      .updateTable('funding_requests')
      .set({ status: 'confirmed', confirmed_by: d.actor.subject })
      .where('cycle_id', '=', d.cycleId)
      .where('jurisdiction', '=', d.jurisdiction)
      .execute();
  },
  PaymentsInstructed: async (db, d) => {
    await inChunks(d.items, (items) =>
      db
        .updateTable('entitlements')
        .set({ payment_status: 'instructed', attempt: sql<number>`attempt + 1` })
        .where('payment_id', '=', sql<string>`any(${items.map((i) => i.paymentId)}::text[])`)
        .execute(),
    );
  },
  PaymentsInDoubt: async (db, d) => {
    await updateEach(db, d.items, (i) => ({ payment_status: 'in_doubt', doubt_reason: i.reason }));
  },
  PaymentsAccepted: async (db, d) => {
    await updateEach(db, d.items, (i) => ({ payment_status: 'accepted', bank_payment_id: i.bankPaymentId }));
  },
  PaymentsSettled: async (db, d) => {
    await inChunks(d.items, (items) =>
      db
        .updateTable('entitlements')
        .set({ payment_status: 'settled', held_reason: null, doubt_reason: null })
        .where(
          'payment_id',
          'in',
          items.map((i) => i.paymentId),
        )
        .execute(),
    );
  },
  PaymentsHeld: async (db, d) => {
    await updateEach(db, d.items, (i) => ({ payment_status: 'held', held_reason: i.reason }));
  },
  BeneficiaryAccountCorrected: async () => {},
  PaymentReissued: async (db, d) => {
    await db
      .updateTable('entitlements')
      .set({ payment_status: 'instructed', attempt: d.attempt, held_reason: null, doubt_reason: null })
      .where('payment_id', '=', d.paymentId)
      .execute();
  },
  CycleClosed: async (db, d) => {
    await db
      .updateTable('subsidy_cycles')
      .set({ status: 'closed', summary: JSON.stringify(d.summary) })
      .where('cycle_id', '=', d.cycleId)
      .execute();
  },
  CycleNotice: async () => {},
  BankStatementReconciled: async () => {},
  ReconciliationBreakFound: async (db, d) => {
    await db
      .insertInto('reconciliation_breaks')
      .values({
        break_id: d.breakId,
        cycle_id: d.cycleId,
        payment_id: d.paymentId,
        jurisdiction: d.jurisdiction,
        kind: d.kind,
        detail: JSON.stringify(d.detail),
        status: 'open',
        resolved_by: null,
        resolution: null,
      })
      .onConflict((oc) => oc.column('break_id').doNothing())
      .execute();
  },
  ReconciliationBreakResolved: async (db, d) => {
    await db
      .updateTable('reconciliation_breaks')
      .set({ status: 'resolved', resolved_by: `${d.actor.role}:${d.actor.subject}`, resolution: d.resolution })
      .where('break_id', '=', d.breakId)
      .execute();
  },
  // The removed nights leave the person's used nights of the year (compute's reserved nights); recoveries project as RecoveryOpened.
  RecordsCorrected: async (db, d) => {
    await inChunks(d.corrections, (corrections) =>
      db
        .insertInto('corrected_nights')
        .values(
          corrections.map((c) => ({
            cycle_id: d.cycleId,
            payment_id: c.paymentId,
            record_id: c.recordId,
            person_ref: c.personRef,
            removed_nights: c.removedNights,
            admission_date: c.after.admissionDate,
            discharge_date: c.after.dischargeDate,
          })),
        )
        .onConflict((oc) => oc.columns(['payment_id', 'record_id', 'cycle_id']).doNothing())
        .execute(),
    );
  },
  AnnualRosterExitsRecorded: async (db, d) => {
    await inChunks(d.exits, async (exits) => {
      await db
        .insertInto('roster_exits')
        .values(
          exits.map((e) => ({
            person_ref: e.personRef,
            version: d.version,
            year: d.year,
            jurisdiction: e.jurisdiction,
            exited_on: e.exitedOn,
            reason: e.reason,
          })),
        )
        .execute();
    });
  },
  RosterConflictsRecorded: async (db, d) => {
    await inChunks(d.conflicts, async (conflicts) => {
      await db
        .insertInto('roster_conflicts')
        .values(
          conflicts.map((c) => ({
            person_ref: c.personRef,
            version: d.version,
            lines: c.lines,
            jurisdictions: c.jurisdictions,
            resolved_version: null,
          })),
        )
        .execute();
    });
  },
  HolidayArrangementMissing: async () => {},
  RecoveryOpened: async (db, d) => {
    await db
      .insertInto('recoveries')
      .values({
        recovery_id: d.recoveryId,
        payment_id: d.paymentId,
        amount_fen: d.amountFen,
        reason: d.reason,
        status: 'open',
      })
      .execute();
  },
  RecoveryRepaid: async (db, d) => {
    await db
      .updateTable('recoveries')
      .set({
        repaid_fen: sql`repaid_fen + ${d.amountFen}` as never,
        status: sql<string>`case when repaid_fen + ${d.amountFen} >= amount_fen then 'repaid' else 'open' end`,
      })
      .where('recovery_id', '=', d.recoveryId)
      .execute();
  },
};

/**
 * Row outcomes travel as one JSON document of columns per event that PostgreSQL unpacks
 * (json_to_record, then unnest; each row's explanation taken by its index): one statement for a
 * run of events instead of thousands of bound parameters, so a million-row cycle projects at
 * COPY-like speed. Column-wise events are read back from the events table (the live one, also when
 * a rebuild aims `db` at its scratch schema), so their JSON is neither sent nor parsed twice;
 * events of the old shape are given as columns.
 */
async function insertOutcomeColumns(
  db: Db,
  source: { storedAt: string[] } | { cycleId: string; columns: RowOutcomeColumns },
) {
  const documents =
    'storedAt' in source
      ? // One parse of each document (an operator such as ->> on json would parse it again per row).
        sql`(select doc."cycleId" as cycle_id, doc.columns
               from ${sql.id('public', 'events')} e
              cross join lateral json_to_record(e.data) as doc("cycleId" text, columns json)
              where e.position = any(${source.storedAt}::bigint[]))`
      : sql`(select ${source.cycleId}::text as cycle_id, ${JSON.stringify(source.columns)}::json as columns)`;
  await db
    .insertInto('row_outcomes')
    .columns([
      'cycle_id',
      'line_no',
      'record_id',
      'person_ref',
      'jurisdiction',
      'outcome',
      'reason',
      'nights',
      'amount_fen',
      'payment_id',
      'explanation',
    ])
    .expression(sql`
    select d.cycle_id, r.line_no, r.record_id, r.person_ref, r.jurisdiction, r.outcome, r.reason, r.nights,
           r.amount_fen, r.payment_id, c."explanation" -> (r.n - 1)::int
      from ${documents} d
     cross join lateral json_to_record(d.columns) as c("lineNo" int[], "recordId" text[], "personRef" text[],
            "jurisdiction" text[], "outcome" text[], "reason" text[], "nights" int[], "amountFen" bigint[],
            "paymentId" text[], "explanation" jsonb)
     cross join lateral unnest(c."lineNo", c."recordId", c."personRef", c."jurisdiction", c."outcome", c."reason",
            c."nights", c."amountFen", c."paymentId") with ordinality
            as r(line_no, record_id, person_ref, jurisdiction, outcome, reason, nights, amount_fen, payment_id, n)`)
    .execute();
}

/** A row-outcome event of the column-wise shape (projected from the stored event, several at once). */
function storedOutcomes(event: StoredEvent): boolean {
  return event.type === 'RowOutcomesRecorded' && 'columns' in event.data;
}

async function insertEntitlements(db: Db, cycleId: string, items: readonly EntitlementRecord[]) {
  await insertRecords(db, 'entitlements', items, {
    payment_id: { field: 'paymentId', type: 'text' },
    cycle_id: { value: cycleId },
    jurisdiction: { field: 'jurisdiction', type: 'text' },
    seq: { field: 'seq', type: 'int' },
    person_ref: { field: 'personRef', type: 'text' },
    category: { field: 'category', type: 'text' },
    kind: { field: 'kind', type: 'text' },
    nights: { field: 'nights', type: 'int' },
    amount_fen: { field: 'amountFen', type: 'bigint' },
    city_share_fen: { field: 'cityShareFen', type: 'bigint' },
    county_share_fen: { field: 'countyShareFen', type: 'bigint' },
    record_ids: { field: 'recordIds', type: 'text[]' },
    night_dates: { field: 'nightDates', type: 'date[]' },
    policy_version: { field: 'policyVersion', type: 'text' },
  });
}

/** Where an inserted column's value comes from: a field of each JSON record, with its SQL type, or one value for all. */
type ColumnSource = { field: string; type: string } | { value: unknown };

/**
 * Inserts records sent as one JSON document that PostgreSQL unpacks (jsonb_to_recordset): one statement per event
 * instead of thousands of bound parameters. Field names and types are this file's constants, never input.
 */
async function insertRecords(
  db: Db,
  table: 'roster_entries' | 'entitlements',
  records: readonly object[],
  columns: Record<string, ColumnSource>,
): Promise<void> {
  if (records.length === 0) return;
  const sources = Object.entries(columns);
  const fields = sources.flatMap(([, source]) => ('field' in source ? [`"${source.field}" ${source.type}`] : []));
  await db
    .insertInto(table)
    .columns(sources.map(([column]) => column) as never)
    .expression(
      db
        .selectFrom(
          sql`jsonb_to_recordset(${JSON.stringify(records)}::jsonb)`.as<'r'>(sql.raw(`r(${fields.join(', ')})`)),
        )
        .select(
          sources.map(([column, source]) =>
            ('field' in source ? sql.ref(`r.${source.field}`) : sql.val(source.value)).as(column),
          ) as never,
        ),
    )
    .execute();
}

/**
 * Per-row values differ (bank ids, reasons): one UPDATE per event joined to the values as a table
 * (jsonb_to_recordset), linear in the items — a CASE with a branch per payment was quadratic.
 */
async function updateEach<T extends { paymentId: string }>(
  db: Db,
  items: readonly T[],
  values: (item: T) => {
    payment_status: string;
    bank_payment_id?: string;
    held_reason?: string;
    doubt_reason?: string;
  },
): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map((item) => ({ id: item.paymentId, ...values(item) }));
  await db
    .updateTable('entitlements')
    .from(
      sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)`.as<'v'>(
        sql`v(id text, payment_status text, bank_payment_id text, held_reason text, doubt_reason text)`,
      ),
    )
    .set({
      payment_status: sql`v.payment_status`,
      bank_payment_id: sql`coalesce(v.bank_payment_id, entitlements.bank_payment_id)`,
      held_reason: sql`v.held_reason`,
      doubt_reason: sql`v.doubt_reason`,
    })
    .where(sql.ref('entitlements.payment_id'), '=', sql.ref('v.id'))
    // Settled is final: a late answer (accepted, in doubt) recorded after it never takes it back.
    .where('entitlements.payment_status', '<>', 'settled')
    .execute();
}

const SUBSIDY_TYPES = new Set(Object.keys(handlers));

export const subsidyProjection: Projection = {
  name: 'subsidy',
  tables: [
    'roster_versions',
    'roster_entries',
    'roster_exits',
    'roster_conflicts',
    'corrected_nights',
    'subsidy_cycles',
    'row_outcomes',
    'entitlements',
    'funding_requests',
    'recoveries',
    'reconciliation_breaks',
  ],
  async apply(db, events: readonly StoredEvent[]) {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (!SUBSIDY_TYPES.has(event.type)) continue;
      if (storedOutcomes(event)) {
        // A run of column-wise outcome events (a computed batch) is one statement.
        const run = [event.position];
        while (i + 1 < events.length && storedOutcomes(events[i + 1]!)) run.push(events[++i]!.position);
        await insertOutcomeColumns(db, { storedAt: run });
        continue;
      }
      if (event.type === 'EntitlementsComputed') {
        // So is a run of a batch's entitlements of one cycle.
        const data = event.data as Extract<SubsidyEvent, { type: 'EntitlementsComputed' }>['data'];
        const items = [...data.items];
        for (let next = events[i + 1]; next?.type === 'EntitlementsComputed'; next = events[i + 1]) {
          const more = next.data as typeof data;
          if (more.cycleId !== data.cycleId) break;
          items.push(...more.items);
          i++;
        }
        await insertEntitlements(db, data.cycleId, items);
        continue;
      }
      const handler = handlers[event.type as SubsidyEvent['type']] as (
        db: Db,
        data: unknown,
        event: StoredEvent,
      ) => Promise<void>;
      await handler(db, event.data, event);
    }
  },
};
