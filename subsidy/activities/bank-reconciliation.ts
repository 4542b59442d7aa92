import { sql } from 'kysely';
import type { BankGateway, StatementEntry } from '../../platform/adapters/bank/types';
import type { Db } from '../../platform/db/database';
import { eventIdFor, type NewEvent } from '../../platform/eventstore';
import { activityMetadata, heartbeat, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import { type ReconciliationBreakKind, streams } from '../contracts/events';
import { paymentIdOfKey } from './instructions';

// The bank is the authority on what was paid. Reconciliation compares, payment by payment, the
// bank's statement of booked debits with our books, and records every difference as a break that a
// person must resolve. A payment the bank booked twice can never read "balanced".

export interface ReconciliationBreak {
  breakId: string;
  paymentId: string;
  jurisdiction: string | null;
  kind: ReconciliationBreakKind;
  detail: {
    bankKeys: string[];
    bankFen: number;
    booksFen: number | null;
    booksStatus: string | null;
    bankEntries: string[];
  };
}

export interface StatementComparison {
  from: string;
  to: string;
  /** Statement entries that belong to this cycle. */
  entries: number;
  bankSettledFen: number;
  booksSettledFen: number;
  breaks: ReconciliationBreak[];
  /** Payments the bank settled while our books were still waiting for its answer: booked as settled. */
  toBook: { paymentId: string; jurisdiction: string; key: string; settledAt: string; amountFen: number }[];
}

const dayBefore = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const dayAfter = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The value-date window that covers every payment of a cycle: from its first payment event to tomorrow. */
async function statementWindow(db: Db, cycleId: string, today: string): Promise<{ from: string; to: string }> {
  const first = await db
    .selectFrom('events')
    .select(sql<Date | null>`min(recorded_at)`.as('first'))
    .where('stream_id', 'like', `${cycleId}:payment:%`)
    .executeTakeFirst();
  const from = first?.first ? dayBefore(new Date(first.first).toISOString().slice(0, 10)) : dayBefore(today);
  return { from, to: dayAfter(today) };
}

/**
 * Compares the bank's statement with our books for one cycle. Read-only: the auditors' tool uses it
 * as it is; `reconcileWithBank` records what it finds.
 */
export async function compareWithStatement(
  db: Db,
  bank: Pick<BankGateway, 'fetchStatement'>,
  cycleId: string,
  today = new Date().toISOString().slice(0, 10),
): Promise<StatementComparison> {
  const window = await statementWindow(db, cycleId, today);
  const statement = (await bank.fetchStatement(window)).filter(
    (e) => e.creditDebit === 'DBIT' && e.endToEndId.startsWith(`${cycleId}:`),
  );
  const byPayment = new Map<string, StatementEntry[]>();
  for (const entry of statement) {
    const paymentId = paymentIdOfKey(entry.endToEndId)?.paymentId ?? entry.endToEndId;
    const entries = byPayment.get(paymentId);
    if (entries) entries.push(entry);
    else byPayment.set(paymentId, [entry]);
  }
  const books = await db
    .selectFrom('entitlements')
    .select(['payment_id', 'jurisdiction', 'amount_fen', 'payment_status', 'attempt'])
    .where('cycle_id', '=', cycleId)
    .where('payment_status', '<>', 'not_instructed')
    .execute();
  const booksById = new Map(books.map((b) => [b.payment_id, b]));

  const breaks: ReconciliationBreak[] = [];
  const toBook: StatementComparison['toBook'] = [];
  const breakOf = (
    paymentId: string,
    kind: ReconciliationBreakKind,
    entries: StatementEntry[],
  ): ReconciliationBreak => {
    const own = booksById.get(paymentId);
    const bankKeys = entries.map((e) => e.endToEndId).sort();
    return {
      breakId: eventIdFor('ReconciliationBreak', cycleId, paymentId, kind, ...bankKeys),
      paymentId,
      jurisdiction: own?.jurisdiction ?? null,
      kind,
      detail: {
        bankKeys,
        bankFen: entries.reduce((sum, e) => sum + e.amountFen, 0),
        booksFen: own ? Number(own.amount_fen) : null,
        booksStatus: own?.payment_status ?? null,
        bankEntries: entries.map((e) => e.entryRef).sort(),
      },
    };
  };
  for (const [paymentId, entries] of byPayment) {
    const own = booksById.get(paymentId);
    if (entries.length > 1) breaks.push(breakOf(paymentId, 'settled_twice', entries));
    if (own && entries.some((e) => e.amountFen !== Number(own.amount_fen)))
      breaks.push(breakOf(paymentId, 'amount_mismatch', entries));
    if (!own || own.payment_status === 'held') {
      breaks.push(breakOf(paymentId, 'settled_not_booked', entries));
    } else if (own.payment_status !== 'settled' && entries.length === 1) {
      toBook.push({
        paymentId,
        jurisdiction: own.jurisdiction,
        key: entries[0]!.endToEndId,
        settledAt: entries[0]!.valueDate,
        amountFen: Number(own.amount_fen),
      });
    }
  }
  for (const own of books) {
    if (own.payment_status === 'settled' && !byPayment.has(own.payment_id))
      breaks.push(breakOf(own.payment_id, 'booked_not_settled', []));
  }
  const booksSettledFen = books
    .filter((b) => b.payment_status === 'settled')
    .reduce((sum, b) => sum + Number(b.amount_fen), 0);
  const bankSettledFen = statement.reduce((sum, e) => sum + e.amountFen, 0);
  breaks.sort((a, b) => a.paymentId.localeCompare(b.paymentId) || a.kind.localeCompare(b.kind));
  return { ...window, entries: statement.length, bankSettledFen, booksSettledFen, breaks, toBook };
}

export interface ReconciliationResult {
  entries: number;
  bankSettledFen: number;
  booksSettledFen: number;
  /** Breaks found now (new or already recorded). */
  breaks: number;
  /** Breaks of the cycle still open (not resolved by a person). */
  openBreaks: number;
  /** Payments still waiting for the bank's definite answer. */
  notFinal: number;
  booked: number;
}

/**
 * Reconciles a cycle against the bank's statement and records the outcome: settlements our books
 * missed are booked (the bank says so), every break becomes an event and an open item for a person.
 */
export async function reconcileWithBank(deps: SubsidyDeps, input: { cycleId: string }): Promise<ReconciliationResult> {
  const today = new Date().toISOString().slice(0, 10);
  const found = await compareWithStatement(deps.db, deps.bank, input.cycleId, today);
  heartbeat({ entries: found.entries });
  const byJurisdiction = new Map<string, StatementComparison['toBook']>();
  for (const b of found.toBook) {
    const items = byJurisdiction.get(b.jurisdiction);
    if (items) items.push(b);
    else byJurisdiction.set(b.jurisdiction, [b]);
  }
  for (const [jurisdiction, items] of byJurisdiction) {
    await deps.store.append(
      streams.payments(input.cycleId, jurisdiction),
      [
        subsidyEvent(
          'PaymentsSettled',
          { cycleId: input.cycleId, items: items.map((i) => ({ paymentId: i.paymentId, settledAt: i.settledAt })) },
          'settled:statement',
          ...items.map((i) => i.key),
        ),
      ],
      { metadata: activityMetadata(SYSTEM_ACTOR) },
    );
  }
  // A break found again (the next day) is the same break: only new ones are appended.
  const known = new Set<string>();
  const ids = found.breaks.map((b) => b.breakId);
  for (let i = 0; i < ids.length; i += 5_000) {
    const rows = await deps.db
      .selectFrom('reconciliation_breaks')
      .select('break_id')
      .where('break_id', 'in', ids.slice(i, i + 5_000))
      .execute();
    for (const row of rows) known.add(row.break_id);
  }
  const fresh: NewEvent[] = found.breaks
    .filter((b) => !known.has(b.breakId))
    .map((b) =>
      subsidyEvent(
        'ReconciliationBreakFound',
        {
          breakId: b.breakId,
          cycleId: input.cycleId,
          paymentId: b.paymentId,
          jurisdiction: b.jurisdiction,
          kind: b.kind,
          detail: b.detail,
        },
        b.breakId,
      ),
    );
  if (fresh.length > 0)
    await deps.store.append(streams.reconciliation(input.cycleId), fresh, { metadata: activityMetadata(SYSTEM_ACTOR) });
  const booksSettledFen = found.booksSettledFen + found.toBook.reduce((sum, b) => sum + b.amountFen, 0);
  await deps.store.append(
    streams.reconciliation(input.cycleId),
    [
      subsidyEvent(
        'BankStatementReconciled',
        {
          cycleId: input.cycleId,
          from: found.from,
          to: found.to,
          entries: found.entries,
          bankSettledFen: found.bankSettledFen,
          booksSettledFen,
          breaks: found.breaks.length,
          booked: found.toBook.length,
        },
        input.cycleId,
        'statement',
        found.to,
        found.entries,
        found.bankSettledFen,
        found.breaks.length,
        found.toBook.length,
      ),
    ],
    { metadata: activityMetadata(SYSTEM_ACTOR) },
  );
  const open = await deps.db
    .selectFrom('reconciliation_breaks')
    .select(sql<string>`count(*)`.as('n'))
    .where('cycle_id', '=', input.cycleId)
    .where('status', '=', 'open')
    .executeTakeFirstOrThrow();
  const waiting = await deps.db
    .selectFrom('entitlements')
    .select(sql<string>`count(*)`.as('n'))
    .where('cycle_id', '=', input.cycleId)
    .where('payment_status', 'in', ['instructed', 'accepted', 'in_doubt'])
    .executeTakeFirstOrThrow();
  return {
    entries: found.entries,
    bankSettledFen: found.bankSettledFen,
    booksSettledFen,
    breaks: found.breaks.length,
    openBreaks: Number(open.n),
    notFinal: Number(waiting.n),
    booked: found.toBook.length,
  };
}
