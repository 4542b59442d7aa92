import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { z } from 'zod';

// A stand-in for the bank's payment gateway, for development and tests: batch submission with a
// per-payment idempotency key, asynchronous settlement, faults on demand, and a ledger of its own —
// an append-only journal replayed on start, so a restart loses nothing.

export interface BankFaults {
  /** The next N requests answer 503 without doing anything. */
  failNext?: number;
  /** The next N submissions are recorded, then answered 503: the caller cannot know they were taken. */
  dropResponseNext?: number;
  /** The next N requests hang longer than any sane client timeout. */
  hangNext?: number;
  closedAccounts?: string[];
  invalidAccounts?: string[];
}

export interface BankGatewayOptions {
  host?: string;
  port?: number;
  journalDir: string;
  settlementDelayMs?: number;
  faults?: BankFaults;
}

interface LedgerEntry {
  idempotencyKey: string;
  paymentId: string;
  fingerprint: string;
  bankCode: string;
  accountNo: string;
  amountFen: number;
  status: 'pending' | 'settled' | 'failed' | 'rejected';
  reason?: string;
  acceptedAt: string;
  settledAt?: string;
}

const instruction = z.object({
  idempotencyKey: z.string().min(1).max(200),
  bankCode: z.string().max(40),
  accountNo: z.string().max(60),
  accountName: z.string().max(200),
  amountFen: z.number().int().positive(),
  memo: z.string().max(500).default(''),
});
const batchBody = z.object({ batchId: z.string().min(1), payments: z.array(instruction).max(5_000) });
const queryBody = z.object({ idempotencyKeys: z.array(z.string()).max(5_000) });

export function maskAccount(accountNo: string): string {
  return accountNo.length <= 4 ? '****' : `${'*'.repeat(accountNo.length - 4)}${accountNo.slice(-4)}`;
}

export async function startBankGateway(options: BankGatewayOptions): Promise<{ url: string; close(): Promise<void> }> {
  mkdirSync(options.journalDir, { recursive: true });
  const journalFile = path.join(options.journalDir, 'ledger.jsonl');
  const ledger = new Map<string, LedgerEntry>();
  if (existsSync(journalFile)) {
    for (const line of readFileSync(journalFile, 'utf8').split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as LedgerEntry;
      ledger.set(entry.idempotencyKey, { ...ledger.get(entry.idempotencyKey), ...entry });
    }
  }
  const journal = openSync(journalFile, 'a');
  const record = (entries: LedgerEntry[]) => {
    if (entries.length === 0) return;
    writeSync(journal, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    fsyncSync(journal);
  };

  const faults = {
    failNext: options.faults?.failNext ?? 0,
    dropResponseNext: options.faults?.dropResponseNext ?? 0,
    hangNext: options.faults?.hangNext ?? 0,
    closed: new Set(options.faults?.closedAccounts ?? []),
    invalid: new Set(options.faults?.invalidAccounts ?? []),
  };
  const delay = options.settlementDelayMs ?? 200;
  const timers = new Set<NodeJS.Timeout>();

  const settleLater = (keys: string[]) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const changed: LedgerEntry[] = [];
      for (const key of keys) {
        const entry = ledger.get(key);
        if (entry?.status !== 'pending') continue;
        if (faults.closed.has(entry.accountNo)) Object.assign(entry, { status: 'failed', reason: 'account_closed' });
        else Object.assign(entry, { status: 'settled', settledAt: new Date().toISOString() });
        changed.push(entry);
      }
      record(changed);
    }, delay);
    timers.add(timer);
  };
  settleLater([...ledger.values()].filter((e) => e.status === 'pending').map((e) => e.idempotencyKey));

  const app = Fastify({ logger: false });
  const hangs: ((value?: unknown) => void)[] = [];
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/admin')) return;
    if (faults.hangNext > 0) {
      faults.hangNext--;
      await new Promise((resolve) => {
        hangs.push(resolve);
        setTimeout(resolve, 120_000).unref();
      });
      return reply.status(504).send({ error: 'timeout' });
    }
    if (faults.failNext > 0) {
      faults.failNext--;
      return reply.status(503).send({ error: 'unavailable' });
    }
  });

  app.post('/v1/payment-batches', async (request, reply) => {
    const parsed = batchBody.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send({ error: 'bad_request', issues: parsed.error.issues });
    const fresh: LedgerEntry[] = [];
    const results = parsed.data.payments.map((p) => {
      const fingerprint = `${p.bankCode}|${p.accountNo}|${p.amountFen}`;
      const known = ledger.get(p.idempotencyKey);
      if (known) {
        // A repeated key gets the first answer; different content under a used key is refused and changes nothing.
        if (known.fingerprint !== fingerprint) return { idempotencyKey: p.idempotencyKey, paymentId: known.paymentId, status: 'rejected' as const, reason: 'idempotency_conflict' };
        return known.status === 'rejected'
          ? { idempotencyKey: p.idempotencyKey, paymentId: known.paymentId, status: 'rejected' as const, reason: known.reason }
          : { idempotencyKey: p.idempotencyKey, paymentId: known.paymentId, status: 'accepted' as const };
      }
      const valid = p.bankCode.trim() !== '' && /^\d{8,30}$/.test(p.accountNo) && !faults.invalid.has(p.accountNo);
      const entry: LedgerEntry = {
        idempotencyKey: p.idempotencyKey,
        paymentId: `BK${randomUUID().replaceAll('-', '').slice(0, 20).toUpperCase()}`,
        fingerprint,
        bankCode: p.bankCode,
        accountNo: p.accountNo,
        amountFen: p.amountFen,
        status: valid ? 'pending' : 'rejected',
        ...(valid ? {} : { reason: 'invalid_account' }),
        acceptedAt: new Date().toISOString(),
      };
      ledger.set(entry.idempotencyKey, entry);
      fresh.push(entry);
      return valid
        ? { idempotencyKey: entry.idempotencyKey, paymentId: entry.paymentId, status: 'accepted' as const }
        : { idempotencyKey: entry.idempotencyKey, paymentId: entry.paymentId, status: 'rejected' as const, reason: 'invalid_account' };
    });
    record(fresh);
    settleLater(fresh.filter((e) => e.status === 'pending').map((e) => e.idempotencyKey));
    if (faults.dropResponseNext > 0 && fresh.length > 0) {
      faults.dropResponseNext--;
      return reply.status(503).send({ error: 'unavailable' });
    }
    return { batchId: parsed.data.batchId, results };
  });

  const statusOf = (key: string) => {
    const e = ledger.get(key);
    if (!e || e.status === 'rejected') return undefined;
    return { idempotencyKey: key, paymentId: e.paymentId, status: e.status, reason: e.reason, amountFen: e.amountFen, settledAt: e.settledAt };
  };
  app.get<{ Params: { key: string } }>('/v1/payments/:key', async (request, reply) => statusOf(request.params.key) ?? reply.status(404).send({ error: 'not_found' }));
  app.post('/v1/payments/query', async (request, reply) => {
    const parsed = queryBody.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send({ error: 'bad_request' });
    return { payments: parsed.data.idempotencyKeys.map(statusOf).filter((s) => s !== undefined) };
  });

  // Test and operator controls: faults and the ledger (account numbers masked).
  app.post('/admin/faults', async (request) => {
    const body = request.body as BankFaults;
    if (body.failNext !== undefined) faults.failNext = body.failNext;
    if (body.dropResponseNext !== undefined) faults.dropResponseNext = body.dropResponseNext;
    if (body.hangNext !== undefined) faults.hangNext = body.hangNext;
    for (const a of body.closedAccounts ?? []) faults.closed.add(a);
    for (const a of body.invalidAccounts ?? []) faults.invalid.add(a);
    return { ok: true };
  });
  app.post<{ Params: { account: string } }>('/admin/accounts/:account/close', async (request) => (faults.closed.add(request.params.account), { ok: true }));
  app.post<{ Params: { account: string } }>('/admin/accounts/:account/reopen', async (request) => (faults.closed.delete(request.params.account), { ok: true }));
  app.get('/admin/ledger', async () => {
    const entries = [...ledger.values()].map(({ fingerprint: _f, accountNo, ...e }) => ({ ...e, account: maskAccount(accountNo) }));
    const settled = entries.filter((e) => e.status === 'settled');
    return {
      entries,
      counts: {
        total: entries.length,
        pending: entries.filter((e) => e.status === 'pending').length,
        settled: settled.length,
        failed: entries.filter((e) => e.status === 'failed').length,
        rejected: entries.filter((e) => e.status === 'rejected').length,
      },
      settledFen: settled.reduce((s, e) => s + e.amountFen, 0),
    };
  });

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const release of hangs) release();
      await app.close();
      closeSync(journal);
    },
  };
}
