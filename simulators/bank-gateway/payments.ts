import { type AccountBook, maskAccount } from './accounts';
import type { Journal } from './journal';

// The payment ledger of the simulated bank: what was instructed under which idempotency key, and
// what became of it. State changes are journaled (fsynced) first and applied to memory second, so
// an answer is never given for something the journal does not hold.

export interface PaymentInstruction {
  idempotencyKey: string;
  bankCode: string;
  accountNo: string;
  accountName: string;
  amountFen: number;
  memo: string;
}

export interface SubmissionResult {
  idempotencyKey: string;
  paymentId: string;
  status: 'accepted' | 'rejected';
  reason?: string;
}

export interface PaymentView {
  idempotencyKey: string;
  paymentId: string;
  status: 'pending' | 'settled' | 'failed';
  reason?: string;
  amountFen: number;
  settledAt?: string;
}

/** The bank's answer to an inquiry: what became of the instruction under a key, refusals included. */
export interface InquiryView {
  idempotencyKey: string;
  paymentId: string;
  status: 'pending' | 'settled' | 'failed' | 'rejected';
  reason?: string;
  amountFen: number;
  settledAt?: string;
}

/**
 * One booked entry of the payer account's statement, in the shape of a camt.053 entry (or an MT940
 * :61: line): the bank's own reference, the payer's end-to-end reference (our idempotency key), the
 * amount, and the booking and value dates. Only settled payments are booked.
 */
export interface StatementEntry {
  entryRef: string;
  endToEndId: string;
  amountFen: number;
  currency: 'CNY';
  creditDebit: 'DBIT';
  bookingDate: string;
  valueDate: string;
  accountMask: string;
}

/** One line of the journal. Housing (loans, seller payments) will add its own `t` values beside these. */
export type PaymentRecord =
  | {
      t: 'payment.submitted';
      at: string;
      key: string;
      paymentId: string;
      batchId: string;
      bankCode: string;
      accountRef: string;
      accountMask: string;
      amountFen: number;
      memo: string;
      fingerprint: string;
      status: 'pending' | 'rejected';
      reason?: string;
    }
  | { t: 'payment.settled'; at: string; key: string }
  | { t: 'payment.failed'; at: string; key: string; reason: string }
  | { t: 'account.closed' | 'account.reopened'; at: string; accountRef: string };

interface Entry {
  key: string;
  paymentId: string;
  batchId: string;
  bankCode: string;
  accountRef: string;
  accountMask: string;
  amountFen: number;
  memo: string;
  fingerprint: string;
  status: 'pending' | 'settled' | 'failed' | 'rejected';
  reason?: string;
  submittedAt: string;
  settledAt?: string;
}

/** An admin view of a ledger entry: the account only as its mask and pseudonym. */
export type LedgerEntryView = Omit<Entry, 'key' | 'fingerprint'> & { idempotencyKey: string };

export class PaymentLedger {
  private readonly entries = new Map<string, Entry>();
  /** Settled entries in booking order, and each one's place by payment id: a statement page starts where the last ended. */
  private readonly booked: Entry[] = [];
  private readonly bookedAt = new Map<string, number>();
  /** Submission records ever journaled: equal to the entry count unless a key was recorded twice. */
  private submittedRecords = 0;
  private conflictsRefused = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private journal: Journal<PaymentRecord> | undefined;

  constructor(
    private readonly accounts: AccountBook,
    private settlementDelayMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Replays one journal line (before the journal is attached). */
  apply(record: PaymentRecord): void {
    switch (record.t) {
      case 'payment.submitted': {
        this.submittedRecords++;
        const { t: _t, at, key, ...rest } = record;
        this.entries.set(key, { key, ...rest, submittedAt: at });
        return;
      }
      case 'payment.settled': {
        const entry = this.entries.get(record.key);
        if (!entry) return;
        Object.assign(entry, { status: 'settled', settledAt: record.at });
        if (!this.bookedAt.has(entry.paymentId)) {
          this.bookedAt.set(entry.paymentId, this.booked.length);
          this.booked.push(entry);
        }
        return;
      }
      case 'payment.failed': {
        const entry = this.entries.get(record.key);
        if (entry) Object.assign(entry, { status: 'failed', reason: record.reason });
        return;
      }
      case 'account.closed':
      case 'account.reopened':
        this.accounts.setClosedRef(record.accountRef, record.t === 'account.closed');
        return;
      default: {
        const unknown: never = record;
        throw new Error(`unknown bank journal record ${JSON.stringify(unknown).slice(0, 80)}`);
      }
    }
  }

  /** Starts journaling, and schedules settlement of whatever was still pending when the bank stopped. */
  attach(journal: Journal<PaymentRecord>): void {
    this.journal = journal;
    const pending = [...this.entries.values()].filter((e) => e.status === 'pending').map((e) => e.key);
    if (pending.length > 0) this.scheduleSettlement(pending);
  }

  private write(records: PaymentRecord[]): void {
    if (!this.journal) throw new Error('bank ledger has no journal');
    this.journal.append(records);
    for (const record of records) this.apply(record);
  }

  /**
   * Takes a batch. A key seen before gets its first answer back, or 'idempotency_conflict' when the
   * bank, account or amount differ — the first payment is never touched and no second one is made.
   */
  submit(batchId: string, payments: readonly PaymentInstruction[]): SubmissionResult[] {
    const at = this.now().toISOString();
    const staged = new Map<string, Extract<PaymentRecord, { t: 'payment.submitted' }>>();
    const results: SubmissionResult[] = [];
    for (const p of payments) {
      const fingerprint = this.accounts.fingerprint(p.bankCode, p.accountNo, p.amountFen);
      const known = this.entries.get(p.idempotencyKey) ?? staged.get(p.idempotencyKey);
      if (known) {
        if (known.fingerprint !== fingerprint) {
          this.conflictsRefused++;
          results.push({
            idempotencyKey: p.idempotencyKey,
            paymentId: known.paymentId,
            status: 'rejected',
            reason: 'idempotency_conflict',
          });
        } else {
          results.push(firstResult(p.idempotencyKey, known));
        }
        continue;
      }
      const reason = this.accounts.invalidReason(p.bankCode, p.accountNo);
      const record = {
        t: 'payment.submitted' as const,
        at,
        key: p.idempotencyKey,
        paymentId: `BK${String(this.submittedRecords + staged.size + 1).padStart(12, '0')}`,
        batchId,
        bankCode: p.bankCode.trim().toUpperCase(),
        accountRef: this.accounts.ref(p.accountNo),
        accountMask: maskAccount(p.accountNo),
        amountFen: p.amountFen,
        memo: p.memo,
        fingerprint,
        status: reason ? ('rejected' as const) : ('pending' as const),
        ...(reason ? { reason } : {}),
      };
      staged.set(record.key, record);
      results.push(firstResult(record.key, record));
    }
    const fresh = [...staged.values()];
    this.write(fresh);
    this.scheduleSettlement(fresh.filter((r) => r.status === 'pending').map((r) => r.key));
    return results;
  }

  private scheduleSettlement(keys: string[]): void {
    if (keys.length === 0) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.settle(keys);
    }, this.settlementDelayMs);
    this.timers.add(timer);
  }

  /** Settles the given pending payments: paid, or failed when the account is closed by now. */
  settle(keys: readonly string[]): number {
    if (!this.journal) return 0;
    const at = this.now().toISOString();
    const records: PaymentRecord[] = [];
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry?.status !== 'pending') continue;
      records.push(
        this.accounts.isClosedRef(entry.accountRef)
          ? { t: 'payment.failed', at, key, reason: 'account_closed' }
          : { t: 'payment.settled', at, key },
      );
    }
    this.write(records);
    return records.length;
  }

  /** Settles everything pending now (tests that do not want to wait). */
  settleAll(): number {
    return this.settle([...this.entries.values()].filter((e) => e.status === 'pending').map((e) => e.key));
  }

  setSettlementDelay(ms: number): void {
    this.settlementDelayMs = ms;
  }

  closeAccount(accountNo: string, closed: boolean): void {
    const accountRef = this.accounts.ref(accountNo);
    if (this.accounts.isClosedRef(accountRef) === closed) return;
    this.write([{ t: closed ? 'account.closed' : 'account.reopened', at: this.now().toISOString(), accountRef }]);
  }

  /** The payment under a key, as the payer may see it; undefined when the bank never accepted one. */
  status(key: string): PaymentView | undefined {
    // A refusal at submission is no payment: the payer learns of it through an inquiry.
    const found = this.inquire(key);
    return found?.status === 'rejected' ? undefined : (found as PaymentView | undefined);
  }

  /** Inquiry: the status of the instruction under a key, a refusal at submission included; undefined if never received. */
  inquire(key: string): InquiryView | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return {
      idempotencyKey: e.key,
      paymentId: e.paymentId,
      status: e.status,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      amountFen: e.amountFen,
      ...(e.settledAt !== undefined ? { settledAt: e.settledAt } : {}),
    };
  }

  /**
   * The payer account's statement: settled payments whose value date lies in [from, to] (ISO dates,
   * inclusive), in booking (settlement) order, a page at a time after the entry `after`; an entry booked
   * while a reader pages lands after every page already read.
   */
  statement(range: { from: string; to: string; after?: string; limit: number }): {
    entries: StatementEntry[];
    next?: string;
  } {
    const entries: StatementEntry[] = [];
    // Linear over a whole statement: each page reads on from the entry after `after`, never from the start.
    const resume = range.after === undefined ? -1 : this.bookedAt.get(range.after);
    if (resume === undefined) return { entries };
    for (let i = resume + 1; i < this.booked.length; i++) {
      const e = this.booked[i]!;
      const valueDate = e.settledAt!.slice(0, 10);
      if (valueDate < range.from || valueDate > range.to) continue;
      entries.push({
        entryRef: e.paymentId,
        endToEndId: e.key,
        amountFen: e.amountFen,
        currency: 'CNY',
        creditDebit: 'DBIT',
        bookingDate: valueDate,
        valueDate,
        accountMask: e.accountMask,
      });
      if (entries.length === range.limit) return { entries, next: e.paymentId };
    }
    return { entries };
  }

  /**
   * Fault drills only: books a settled payment under `key` that no payer sent, as a bank that paid
   * twice would — so tests can prove the reconciliation finds it.
   */
  plantSettlement(input: { key: string; amountFen: number; accountNo: string; bankCode: string }): LedgerEntryView {
    if (this.entries.has(input.key)) throw new Error(`key ${input.key} is already in the ledger`);
    const at = this.now().toISOString();
    this.write([
      {
        t: 'payment.submitted',
        at,
        key: input.key,
        paymentId: `BK${String(this.submittedRecords + 1).padStart(12, '0')}`,
        batchId: 'planted',
        bankCode: input.bankCode.trim().toUpperCase(),
        accountRef: this.accounts.ref(input.accountNo),
        accountMask: maskAccount(input.accountNo),
        amountFen: input.amountFen,
        memo: 'planted by a fault drill',
        fingerprint: this.accounts.fingerprint(input.bankCode, input.accountNo, input.amountFen),
        status: 'pending',
      },
      { t: 'payment.settled', at, key: input.key },
    ]);
    return this.view().find((v) => v.idempotencyKey === input.key)!;
  }

  view(options: { accountRef?: string } = {}): LedgerEntryView[] {
    const out: LedgerEntryView[] = [];
    for (const { key, fingerprint: _f, ...rest } of this.entries.values()) {
      if (options.accountRef === undefined || rest.accountRef === options.accountRef)
        out.push({ idempotencyKey: key, ...rest });
    }
    return out;
  }

  summary() {
    const counts = {
      entries: this.entries.size,
      submittedRecords: this.submittedRecords,
      pending: 0,
      settled: 0,
      failed: 0,
      rejected: 0,
      conflictsRefused: this.conflictsRefused,
    };
    const fen = { pending: 0, settled: 0, failed: 0 };
    for (const e of this.entries.values()) {
      counts[e.status]++;
      if (e.status !== 'rejected') fen[e.status] += e.amountFen;
    }
    return { counts, settledFen: fen.settled, pendingFen: fen.pending, failedFen: fen.failed };
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function firstResult(key: string, entry: { paymentId: string; status: string; reason?: string }): SubmissionResult {
  // Whatever happened since (settled, failed), the answer to a submission is what it was at the time.
  return entry.status === 'rejected'
    ? { idempotencyKey: key, paymentId: entry.paymentId, status: 'rejected', reason: entry.reason ?? 'rejected' }
    : { idempotencyKey: key, paymentId: entry.paymentId, status: 'accepted' };
}
