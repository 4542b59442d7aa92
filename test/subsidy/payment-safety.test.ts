import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import type { BankGateway, InquiryAnswer, PaymentBatch } from '../../platform/adapters/bank';
import type { Role } from '../../platform/security/roles';
import { issueToken } from '../../platform/security/tokens';
import type { SubsidyDeps } from '../../subsidy/activities';
import { compareWithStatement } from '../../subsidy/activities/bank-reconciliation';
import type { CycleSummary } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { collect, spawnCli } from '../support/stack-process';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// The fault drill that once paid a beneficiary twice while every check said "balanced": the bank
// commits every first submission and answers 503; before the retry, the city loads a roster update
// with new account numbers; then everything held is re-issued. Run on real Temporal, PostgreSQL and
// the bank simulator over HTTP — once with today's code (nobody is paid twice, books equal the bank's
// statement) and once with the old behaviour injected (the reconciliation must then find the break).

const secret = new Uint8Array(32).fill(9);
const HEADER =
  'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on';

const people = Array.from({ length: 8 }, (_, i) => ({
  id: idFor(`195${i}-0${(i % 9) + 1}-1${i}`, 300 + i),
  jurisdiction: i < 5 ? '411002' : '411081',
  account: `62220202000077770${i}`,
  newAccount: `62170000000088880${i}`,
}));
const closedAccount = people[1]!.account;

function rosterCsv(accountOf: (p: (typeof people)[number]) => string): string {
  const lines = people.map(
    (p, i) =>
      `${p.id},人${i},M,${p.id.slice(6, 10)}-${p.id.slice(10, 12)}-${p.id.slice(12, 14)},,${p.jurisdiction},one_child_parent,ICBC,${accountOf(p)},2020-01-01,`,
  );
  return `${[HEADER, ...lines].join('\n')}\n`;
}
/** Stays in the quarter's first month: 2022Q1 → January, 2022Q2 → April. */
const extractCsv = (quarter: string) => {
  const [year, q] = [quarter.slice(0, 4), Number(quarter.at(-1))];
  const month = String((q - 1) * 3 + 1).padStart(2, '0');
  const rows = people.map(
    (p, i) => `R${i + 1},${p.id},人${i},许昌市中心医院,${year}-${month}-0${i + 1},${year}-${month}-1${i},`,
  );
  return `${['record_id,id_number,name,hospital,admission_date,discharge_date,exclusion', ...rows].join('\n')}\n`;
};

interface LedgerEntry {
  idempotencyKey: string;
  status: string;
  amountFen: number;
}

/** A worker, an API and a bank with a drill's faults, around one subsidy world. */
class Drill {
  world!: SubsidyTestWorld;
  worker!: RunningWorker;
  api!: FastifyInstance;

  constructor(
    private readonly name: string,
    /** Each drill its own quarter, used by no other test: the cycle's workflow id is the quarter's, on one Temporal server. */
    readonly quarter: string,
    private readonly wrapBank?: (deps: SubsidyDeps) => BankGateway,
  ) {}

  get cycleId(): string {
    return `subsidy-cycle-${this.quarter}`;
  }

  async start(): Promise<void> {
    this.world = await createSubsidyWorld(this.name);
    const deps = this.wrapBank ? { ...this.world.deps, bank: this.wrapBank(this.world.deps) } : this.world.deps;
    const taskQueue = `test-${this.name}`;
    this.worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps });
    this.api = await buildApi({
      db: deps.db,
      store: deps.store,
      temporal: this.world.client,
      taskQueue,
      logLevel: 'silent',
      subsidy: deps,
      tokenSecret: secret,
    });
    const file = path.join(this.world.workDir, 'roster.csv');
    mkdirSync(this.world.workDir, { recursive: true });
    writeFileSync(
      file,
      rosterCsv((p) => p.account),
    );
    await importRoster(this.world.deps, file, 'test');
    await this.bank('POST', `/admin/accounts/${closedAccount}/close`);
  }

  async stop(): Promise<void> {
    await this.api?.close();
    await this.worker?.shutdown();
    await this.world?.close();
  }

  async token(role: Role, jurisdiction?: string): Promise<string> {
    return issueToken(secret, {
      subject: `${role}-${jurisdiction ?? 'city'}`,
      role,
      ...(jurisdiction ? { jurisdiction } : {}),
    });
  }

  async call(
    method: 'GET' | 'POST',
    url: string,
    role: Role,
    body?: unknown,
    contentType = 'application/json',
    jurisdiction?: string,
  ) {
    const response = await this.api.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${await this.token(role, jurisdiction)}`,
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  }

  async bank(method: 'GET' | 'POST' | 'DELETE', pathname: string, body?: unknown): Promise<unknown> {
    const response = await fetch(new URL(pathname, this.world.bankUrl), {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return response.json();
  }

  async ledger(): Promise<{ entries: LedgerEntry[]; counts: { conflictsRefused: number } }> {
    return (await this.bank('GET', '/admin/ledger')) as {
      entries: LedgerEntry[];
      counts: { conflictsRefused: number };
    };
  }

  /** Settled entries at the bank per payment id (the key is `paymentId#attempt`). */
  async settledPerPayment(): Promise<Map<string, number>> {
    const settled = new Map<string, number>();
    for (const e of (await this.ledger()).entries) {
      if (e.status !== 'settled') continue;
      const paymentId = e.idempotencyKey.slice(0, e.idempotencyKey.lastIndexOf('#'));
      settled.set(paymentId, (settled.get(paymentId) ?? 0) + 1);
    }
    return settled;
  }

  /**
   * The drill: every first submission is committed by the bank and answered 503; the bank's inquiries
   * fail until the roster update with new accounts is loaded; then the faults clear.
   */
  async runCycleThroughTheFault(): Promise<CycleSummary> {
    await this.bank('POST', '/admin/faults', {
      rules: [
        { effect: 'commit_then_503', on: 'submit', next: 2 },
        { effect: 'error_503', on: 'query', next: 1_000 },
      ],
    });
    const started = await this.call(
      'POST',
      `/subsidy/cycles/${this.quarter}/extract?autoApprove=true`,
      'city_health_commission',
      extractCsv(this.quarter),
      'text/csv',
    );
    expect(started.status).toBe(202);
    // Both counties' first batches are in the bank's ledger: committed, their answers lost.
    await eventually(async () => ((await this.ledger()).entries.length === people.length ? true : undefined), 60_000);
    const update = await this.call(
      'POST',
      '/subsidy/rosters',
      'city_health_commission',
      rosterCsv((p) => p.newAccount),
      'text/csv',
    );
    expect(update.status).toBe(201);
    await this.bank('DELETE', '/admin/faults');
    return (await this.world.client.workflow.getHandle(this.cycleId).result()) as CycleSummary;
  }
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('payment safety drill: the bank answers late while the roster changes', () => {
  const drill = new Drill('pay_safety', '2022Q1');
  const { quarter, cycleId } = drill;
  beforeAll(() => drill.start(), 120_000);
  afterAll(() => drill.stop());

  it('pays each beneficiary at most once, books equal the bank statement, and re-issues are asked of the bank first', async () => {
    const summary = await drill.runCycleThroughTheFault();

    // The bank settled every payment but the closed account's exactly once; nobody sent other content under a used key.
    const settled = await drill.settledPerPayment();
    expect([...settled.values()].every((n) => n === 1)).toBe(true);
    expect(settled.size).toBe(people.length - 1);
    expect((await drill.ledger()).counts.conflictsRefused).toBe(0);

    // Our books say what the bank says: settled where it settled, held only where it refused.
    const books = await drill.world.deps.db
      .selectFrom('entitlements')
      .select(['payment_id', 'payment_status', 'held_reason'])
      .where('cycle_id', '=', cycleId)
      .execute();
    expect(
      books
        .filter((b) => b.payment_status === 'settled')
        .map((b) => b.payment_id)
        .sort(),
    ).toEqual([...settled.keys()].sort());
    expect(books.filter((b) => b.payment_status === 'held')).toEqual([
      expect.objectContaining({ held_reason: 'account_closed' }),
    ]);
    expect(summary.bank).toMatchObject({ openBreaks: 0, notFinal: 0 });
    expect(summary.bank!.bankSettledFen).toBe(summary.bank!.booksSettledFen);
    expect(summary.balanced).toBe(true);
    // The in-doubt answers are on record.
    const recorded = await drill.world.deps.db
      .selectFrom('events')
      .select('type')
      .where('stream_id', 'like', `${cycleId}:payment:%`)
      .execute();
    expect(recorded.map((e) => e.type)).toContain('PaymentsInDoubt');

    // A settled payment is never re-issued; the held one is, once, even when asked twice at the same moment.
    const paid = books.find((b) => b.payment_status === 'settled')!;
    const refused = await drill.call('POST', `/subsidy/payments/${paid.payment_id}/reissue`, 'administrator', {
      bankCode: 'ICBC',
      accountNo: '6222020200001111111',
    });
    expect(refused.status).toBe(409);
    const held = books.find((b) => b.payment_status === 'held')!;
    const both = await Promise.all(
      [0, 1].map(() =>
        drill.call('POST', `/subsidy/payments/${held.payment_id}/reissue`, 'administrator', {
          bankCode: 'ICBC',
          accountNo: '6222020200002222222',
        }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 200)!.body).toMatchObject({ status: 'settled' });
    expect(both.find((r) => r.status === 409)!.body.message).toMatch(/already under way|not held|in doubt/);

    // Afterwards: one settlement per payment at the bank, and the auditors' comparison finds no break.
    const after = await drill.settledPerPayment();
    expect(after.size).toBe(people.length);
    expect([...after.values()].every((n) => n === 1)).toBe(true);
    const audit = await compareWithStatement(drill.world.deps.db, drill.world.deps.bank, cycleId);
    expect(audit.breaks).toEqual([]);
    expect(audit.bankSettledFen).toBe(audit.booksSettledFen);

    // A double settlement planted in the bank's ledger is found, naming the payment, and recorded as a break.
    const victim = books.find((b) => b.payment_status === 'settled' && b.payment_id !== held.payment_id)!;
    const amount = await drill.world.deps.db
      .selectFrom('entitlements')
      .select('amount_fen')
      .where('payment_id', '=', victim.payment_id)
      .executeTakeFirstOrThrow();
    await drill.bank('POST', '/admin/ledger/plant-settlement', {
      idempotencyKey: `${victim.payment_id}#7`,
      amountFen: Number(amount.amount_fen),
      accountNo: '6222020200003333333',
      bankCode: 'ICBC',
    });
    const planted = await compareWithStatement(drill.world.deps.db, drill.world.deps.bank, cycleId);
    expect(planted.breaks).toEqual([expect.objectContaining({ paymentId: victim.payment_id, kind: 'settled_twice' })]);
    // The auditors' command says so too, and fails.
    const auditCli = await collect(
      spawnCli(['audit', 'reconcile', '--quarter', quarter], {
        DATABASE_URL: drill.world.testDb.url,
        BANK_GATEWAY_URL: drill.world.bankUrl,
        DATA_DIR: path.join(drill.world.workDir, 'app/cli'),
        LOG_LEVEL: 'silent',
      }),
    ).exited;
    expect(auditCli.code, auditCli.stderr).toBe(1);
    expect(auditCli.stdout).toContain(`BREAK settled_twice payment ${victim.payment_id}`);
    expect(auditCli.stderr).toMatch(/reconciliation break/);
    const breaks = await drill.call('GET', `/subsidy/cycles/${quarter}/reconciliation-breaks`, 'finance');
    expect(breaks.body.breaks).toEqual([]);
    const { reconcileWithBank } = await import('../../subsidy/activities/bank-reconciliation');
    expect(await reconcileWithBank(drill.world.deps, { cycleId })).toMatchObject({ openBreaks: 1 });
    const open = await drill.call('GET', `/subsidy/cycles/${quarter}/reconciliation-breaks?status=open`, 'finance');
    expect(open.body.breaks).toEqual([
      expect.objectContaining({ payment_id: victim.payment_id, kind: 'settled_twice', status: 'open' }),
    ]);
    // The console's needs-attention list counts it for finance.
    const { bankAttention } = await import('../../app/api/console/data');
    expect(await bankAttention({ db: drill.world.deps.db } as never, quarter)).toEqual({ inDoubt: 0, openBreaks: 1 });
    const resolved = await drill.call(
      'POST',
      `/subsidy/reconciliation-breaks/${open.body.breaks[0].break_id}/resolve`,
      'finance',
      { resolution: 'bank recalled the duplicate debit' },
    );
    expect(resolved.status).toBe(200);
    expect(await reconcileWithBank(drill.world.deps, { cycleId })).toMatchObject({ openBreaks: 0, breaks: 1 });

    // Every figure, breaks included, rebuilds from the events alone.
    const { rebuildAndCompare } = await import('../../app/audit/rebuild');
    const { allProjections } = await import('../../app/projections');
    expect((await rebuildAndCompare(drill.world.deps.db, drill.world.deps.store, allProjections)).differences).toEqual(
      [],
    );

    // Books that wrongly say "held" for a payment the bank settled: the re-issue asks the bank and refuses, naming the attempt.
    const misbooked = books.find(
      (b) => b.payment_status === 'settled' && b.payment_id !== victim.payment_id && b.payment_id !== held.payment_id,
    )!;
    // (As books written by the old code could be: set in the query table directly, no event can undo a settlement.)
    await drill.world.deps.db
      .updateTable('entitlements')
      .set({ payment_status: 'held', held_reason: 'account_closed' })
      .where('payment_id', '=', misbooked.payment_id)
      .execute();
    const blocked = await drill.call('POST', `/subsidy/payments/${misbooked.payment_id}/reissue`, 'administrator', {
      bankCode: 'ICBC',
      accountNo: '6222020200005555555',
    });
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toContain(`${misbooked.payment_id}#1`);
    expect(blocked.body.message).toMatch(/settled at the bank/);
    expect((await drill.settledPerPayment()).get(misbooked.payment_id)).toBe(1);
    const found = await compareWithStatement(drill.world.deps.db, drill.world.deps.bank, cycleId);
    expect(found.breaks).toContainEqual(
      expect.objectContaining({ paymentId: misbooked.payment_id, kind: 'settled_not_booked' }),
    );
  }, 240_000);
});

/**
 * The old code, injected through the adapter: a resubmission re-reads the account from the vault,
 * an idempotency conflict counts as a refusal (held), and nobody asks the bank before re-issuing.
 */
function oldBehaviour(deps: SubsidyDeps): BankGateway {
  const real = deps.bank;
  return {
    queryPayments: (keys) => real.queryPayments(keys),
    fetchStatement: (range) => real.fetchStatement(range),
    // The old code never asked: the call is made (so the drill's faults still delay the retry) and its answer ignored.
    inquire: async (keys): Promise<InquiryAnswer> => {
      await real.inquire(keys);
      return { payments: [], missing: keys };
    },
    submitBatch: async (batch: PaymentBatch) => {
      const refs = await deps.db
        .selectFrom('entitlements')
        .select(['payment_id', 'person_ref'])
        .where(
          'payment_id',
          'in',
          batch.payments.map((p) => p.idempotencyKey.slice(0, p.idempotencyKey.lastIndexOf('#'))),
        )
        .execute();
      const vault = await deps.vault.getMany(refs.map((r) => r.person_ref));
      const personOf = new Map(refs.map((r) => [r.payment_id, vault.get(r.person_ref)]));
      const reread = batch.payments.map((p) => {
        const person = personOf.get(p.idempotencyKey.slice(0, p.idempotencyKey.lastIndexOf('#')));
        return { ...p, bankCode: person?.bankCode ?? p.bankCode, accountNo: person?.accountNo ?? p.accountNo };
      });
      const answer = await real.submitBatch({ ...batch, payments: reread });
      return {
        ...answer,
        results: answer.results.map((r) =>
          r.reason === 'idempotency_conflict' ? { ...r, reason: 'invalid_account' } : r,
        ),
      };
    },
  };
}

describe('the same drill with the old behaviour injected', () => {
  const drill = new Drill('pay_safety_old', '2022Q2', oldBehaviour);
  const { quarter, cycleId } = drill;
  beforeAll(() => drill.start(), 120_000);
  afterAll(() => drill.stop());

  it('is caught: the cycle is not balanced and the reconciliation names the payment paid twice', async () => {
    const summary = await drill.runCycleThroughTheFault();
    // The bank paid everyone; the old handling booked them held — the statement says otherwise.
    expect(summary.balanced).toBe(false);
    expect(summary.bank!.openBreaks).toBeGreaterThan(0);

    const held = await drill.world.deps.db
      .selectFrom('entitlements')
      .select(['payment_id'])
      .where('cycle_id', '=', cycleId)
      .where('payment_status', '=', 'held')
      .where('held_reason', '=', 'invalid_account')
      .orderBy('payment_id')
      .execute();
    // One the old code booked held although the bank had settled it (not the closed account's, which did fail).
    const settledAtBank = await drill.settledPerPayment();
    const victim = held.map((h) => h.payment_id).find((id) => settledAtBank.get(id) === 1)!;
    expect(victim).toBeDefined();
    const reissued = await drill.call('POST', `/subsidy/payments/${victim}/reissue`, 'administrator', {
      bankCode: 'ICBC',
      accountNo: '6222020200004444444',
    });
    expect(reissued.body).toMatchObject({ status: 'settled' });
    expect((await drill.settledPerPayment()).get(victim)).toBe(2);

    const audit = await compareWithStatement(drill.world.deps.db, drill.world.deps.bank, cycleId);
    expect(audit.breaks).toContainEqual(expect.objectContaining({ paymentId: victim, kind: 'settled_twice' }));
    const open = await drill.call('GET', `/subsidy/cycles/${quarter}/reconciliation-breaks?status=open`, 'finance');
    expect(open.body.breaks).toContainEqual(expect.objectContaining({ payment_id: victim, kind: 'settled_twice' }));
  }, 240_000);
});
