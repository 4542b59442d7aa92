import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AccountBook, DEFAULT_BANK_CODES, maskAccount } from './accounts';
import { type BankFaults, type FaultEffect, FaultPlan, faultsSchema } from './faults';
import { Journal, ledgerSecret } from './journal';
import { PaymentLedger, type PaymentRecord } from './payments';

// A stand-in for the bank's payment gateway, for development and tests. It is another
// organisation's system: it keeps its own ledger (a journal under `journalDir`), never our database.

export interface BankGatewayOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  journalDir: string;
  /** How long an accepted payment stays pending before it settles or fails. Default 200 ms. */
  settlementDelayMs?: number;
  faults?: BankFaults;
  /** Bank codes that exist; default DEFAULT_BANK_CODES. */
  bankCodes?: readonly string[];
  /** Request logging (account numbers masked). Off by default: tests stay quiet. */
  logger?: boolean;
}

export interface BankGatewayHandle {
  url: string;
  close(): Promise<void>;
}

const MAX_PER_REQUEST = 5_000;

const instructionSchema = z.object({
  idempotencyKey: z.string().min(1).max(200),
  bankCode: z.string().max(40),
  accountNo: z.string().max(60),
  accountName: z.string().max(200),
  amountFen: z.number().int().positive().max(1e12),
  memo: z.string().max(500).default(''),
});
const batchSchema = z.object({
  batchId: z.string().min(1).max(200),
  payments: z.array(instructionSchema).min(1).max(MAX_PER_REQUEST),
});
const querySchema = z.object({ idempotencyKeys: z.array(z.string().min(1).max(200)).max(MAX_PER_REQUEST) });
const accountSchema = z.object({ accountNo: z.string().min(1).max(60) });
const settlementSchema = z.object({ delayMs: z.number().int().nonnegative() });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const statementQuery = z.object({
  from: isoDate,
  to: isoDate,
  after: z.string().min(1).max(40).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PER_REQUEST).default(MAX_PER_REQUEST),
});
const plantSchema = z.object({
  idempotencyKey: z.string().min(1).max(200),
  amountFen: z.number().int().positive(),
  accountNo: z.string().min(1).max(60),
  bankCode: z.string().min(1).max(40),
});

export async function startBankGateway(options: BankGatewayOptions): Promise<BankGatewayHandle> {
  const host = options.host ?? '127.0.0.1';
  const accounts = new AccountBook(ledgerSecret(options.journalDir), options.bankCodes ?? DEFAULT_BANK_CODES);
  const ledger = new PaymentLedger(accounts, options.settlementDelayMs ?? 200);
  const journal = await Journal.open<PaymentRecord>(options.journalDir, 'ledger.jsonl', (record) =>
    ledger.apply(record),
  );
  ledger.attach(journal);

  const faults = new FaultPlan();
  const applyFaults = (input: z.output<typeof faultsSchema>) => {
    faults.configure(input);
    for (const accountNo of input.invalidAccounts ?? []) accounts.markInvalid(accountNo);
    for (const accountNo of input.closedAccounts ?? []) ledger.closeAccount(accountNo, true);
  };
  applyFaults(faultsSchema.parse(options.faults ?? {}));

  const app = Fastify({
    bodyLimit: 32 * 1024 * 1024,
    logger: options.logger
      ? { serializers: { req: (req) => ({ method: req.method, url: redactUrl(req.url) }) } }
      : false,
    // Hung requests are released on close; idle keep-alive sockets must not hold the server open.
    forceCloseConnections: true,
  });

  // Requests hung by a timeout fault: released (and their sockets dropped) when the gateway closes.
  const hung = new Set<() => void>();
  const hang = (ms: number) =>
    new Promise<void>((resolve) => {
      const release = () => {
        clearTimeout(timer);
        hung.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      hung.add(release);
    });

  /** The caller sees no answer: the connection hangs, then drops (or drops at once). */
  async function loseResponse(request: FastifyRequest, reply: FastifyReply, how: 'hang' | 'reset'): Promise<void> {
    reply.hijack();
    if (how === 'hang') await hang(faults.hangMs);
    request.raw.socket.destroy();
  }

  /** Strikes a fault that comes before any work; returns the post-commit one for the handler to apply. */
  async function faultBefore(
    request: FastifyRequest,
    reply: FastifyReply,
    target: 'submit' | 'query',
  ): Promise<'answered' | FaultEffect | undefined> {
    const effect = faults.draw(target);
    switch (effect) {
      case 'timeout':
        await loseResponse(request, reply, 'hang');
        return 'answered';
      case 'error_500':
        await reply.status(500).send({ error: 'internal_error' });
        return 'answered';
      case 'error_503':
        await reply.status(503).send({ error: 'unavailable' });
        return 'answered';
      default:
        return effect;
    }
  }

  /** Sends the answer, unless a commit-then-drop fault says the caller never gets it. */
  async function answer(
    request: FastifyRequest,
    reply: FastifyReply,
    effect: FaultEffect | undefined,
    body: unknown,
  ): Promise<void> {
    switch (effect) {
      case 'commit_then_timeout':
        return loseResponse(request, reply, 'hang');
      case 'commit_then_reset':
        return loseResponse(request, reply, 'reset');
      case 'commit_then_503':
        await reply.status(503).send({ error: 'unavailable' });
        return;
      default:
        await reply.send(body);
    }
  }

  const badRequest = (reply: FastifyReply, error: z.ZodError) =>
    // Paths and messages only: the values may be account numbers.
    reply.status(400).send({
      error: 'bad_request',
      issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });

  app.get('/health', async () => ({ ok: true }));

  app.post('/v1/payment-batches', async (request, reply) => {
    const parsed = batchSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const effect = await faultBefore(request, reply, 'submit');
    if (effect === 'answered') return reply;
    const results = ledger.submit(parsed.data.batchId, parsed.data.payments);
    await answer(request, reply, effect, { batchId: parsed.data.batchId, results });
    return reply;
  });

  app.get<{ Params: { key: string } }>('/v1/payments/:key', async (request, reply) => {
    const effect = await faultBefore(request, reply, 'query');
    if (effect === 'answered') return reply;
    const status = ledger.status(request.params.key);
    if (!status) return reply.status(404).send({ error: 'not_found' });
    await answer(request, reply, effect, status);
    return reply;
  });

  /** Looks every key up with `find`: the known ones, and the keys it does not know. */
  async function lookUp(
    request: FastifyRequest,
    reply: FastifyReply,
    find: (key: string) => object | undefined,
  ): Promise<FastifyReply> {
    const parsed = querySchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const effect = await faultBefore(request, reply, 'query');
    if (effect === 'answered') return reply;
    const payments = [];
    const missing = [];
    for (const key of parsed.data.idempotencyKeys) {
      const status = find(key);
      if (status) payments.push(status);
      else missing.push(key);
    }
    await answer(request, reply, effect, { payments, missing });
    return reply;
  }

  app.post('/v1/payments/query', (request, reply) => lookUp(request, reply, (key) => ledger.status(key)));

  // Inquiry (a status report, as ISO 20022 pain.002 gives): every key the bank received, refusals
  // included, and the keys it never received — what a payer needs to decide whether to send again.
  app.post('/v1/payments/inquiry', (request, reply) => lookUp(request, reply, (key) => ledger.inquire(key)));

  // The payer account's statement (camt.053-like): what the bank actually booked, by value date.
  app.get('/v1/statements', async (request, reply) => {
    const parsed = statementQuery.safeParse(request.query);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const effect = await faultBefore(request, reply, 'query');
    if (effect === 'answered') return reply;
    const page = ledger.statement(parsed.data);
    await answer(request, reply, effect, { from: parsed.data.from, to: parsed.data.to, ...page });
    return reply;
  });

  // Admin endpoints, for tests and development only: never subject to faults.
  app.get('/admin/faults', async () => ({ ...faults.describe(), accounts: accounts.counts() }));
  app.post('/admin/faults', async (request, reply) => {
    const parsed = faultsSchema.safeParse(request.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    applyFaults(parsed.data);
    return { ...faults.describe(), accounts: accounts.counts() };
  });
  app.delete('/admin/faults', async () => {
    faults.configure({ rules: [] });
    accounts.clearInvalid();
    return { ...faults.describe(), accounts: accounts.counts() };
  });
  app.post<{ Params: { accountNo: string } }>('/admin/accounts/:accountNo/close', async (request) => {
    ledger.closeAccount(request.params.accountNo, true);
    return { account: maskAccount(request.params.accountNo), closed: true };
  });
  app.post<{ Params: { accountNo: string } }>('/admin/accounts/:accountNo/reopen', async (request) => {
    ledger.closeAccount(request.params.accountNo, false);
    return { account: maskAccount(request.params.accountNo), closed: false };
  });
  app.post('/admin/settle', async () => ({ settled: ledger.settleAll() }));
  // Fault drills: a settlement the payer never sent (a bank that paid twice).
  app.post('/admin/ledger/plant-settlement', async (request, reply) => {
    const parsed = plantSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    try {
      return ledger.plantSettlement({
        key: parsed.data.idempotencyKey,
        amountFen: parsed.data.amountFen,
        accountNo: parsed.data.accountNo,
        bankCode: parsed.data.bankCode,
      });
    } catch (error) {
      return reply.status(409).send({ error: 'conflict', message: (error as Error).message });
    }
  });
  app.post('/admin/settlement', async (request, reply) => {
    const parsed = settlementSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    ledger.setSettlementDelay(parsed.data.delayMs);
    return { delayMs: parsed.data.delayMs };
  });
  app.get<{ Querystring: { entries?: string } }>('/admin/ledger', async (request) => ({
    ...ledger.summary(),
    ...(request.query.entries === 'false' ? {} : { entries: ledger.view() }),
  }));
  // By body, not URL: an account number in a path or query string ends up in access logs.
  app.post('/admin/ledger/by-account', async (request, reply) => {
    const parsed = accountSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const accountRef = accounts.ref(parsed.data.accountNo);
    return { accountRef, closed: accounts.isClosedRef(accountRef), entries: ledger.view({ accountRef }) };
  });

  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    ledger.stop();
    journal.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        ledger.stop();
        for (const release of [...hung]) release();
        await app.close();
        journal.close();
      })()),
  };
}

/** Account numbers appear in admin paths; logs get only their last four digits. */
export function redactUrl(url: string): string {
  return url.replace(
    /\/admin\/accounts\/([^/?]+)/,
    (_m, accountNo: string) => `/admin/accounts/${maskAccount(decodeURIComponent(accountNo))}`,
  );
}
