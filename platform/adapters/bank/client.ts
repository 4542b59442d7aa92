import { z } from 'zod';
import {
  type BankGateway,
  BankRejectedError,
  BankUnavailableError,
  type InquiryAnswer,
  type PaymentBatch,
  type PaymentStatus,
  type StatementEntry,
  type SubmissionResult,
} from './types';

export interface BankClientOptions {
  /** e.g. http://127.0.0.1:4010 (the simulator) or the bank's gateway. */
  baseUrl: string;
  /** Per HTTP request; a request that takes longer counts as the bank being unavailable. Default 15 s. */
  timeoutMs?: number;
  /** Instructions (or keys) per HTTP request. Default 1000; the gateway takes at most 5000. */
  chunkSize?: number;
}

const submissionAnswer = z.object({
  results: z.array(
    z.object({
      idempotencyKey: z.string(),
      paymentId: z.string(),
      status: z.enum(['accepted', 'rejected']),
      reason: z.string().optional(),
    }),
  ),
});
const queryAnswer = z.object({
  payments: z.array(
    z.object({
      idempotencyKey: z.string(),
      paymentId: z.string(),
      status: z.enum(['pending', 'settled', 'failed']),
      reason: z.string().optional(),
      amountFen: z.number().int(),
      settledAt: z.string().optional(),
    }),
  ),
});

const inquiryAnswer = z.object({
  payments: z.array(
    z.object({
      idempotencyKey: z.string(),
      paymentId: z.string(),
      status: z.enum(['pending', 'settled', 'failed', 'rejected']),
      reason: z.string().optional(),
      amountFen: z.number().int(),
      settledAt: z.string().optional(),
    }),
  ),
  missing: z.array(z.string()),
});
const statementAnswer = z.object({
  entries: z.array(
    z.object({
      entryRef: z.string(),
      endToEndId: z.string(),
      amountFen: z.number().int(),
      currency: z.string(),
      creditDebit: z.enum(['DBIT', 'CRDT']),
      bookingDate: z.string(),
      valueDate: z.string(),
    }),
  ),
  next: z.string().optional(),
});

/**
 * The HTTP client of the bank's payment gateway (simulators/bank-gateway speaks the same API).
 * It does not retry: the payment activities' retry policy does, with the same idempotency keys.
 * Nothing here logs, and errors never carry request bodies — they hold account numbers.
 */
export class BankGatewayClient implements BankGateway {
  private readonly timeoutMs: number;
  private readonly chunkSize: number;

  constructor(private readonly options: BankClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.chunkSize = options.chunkSize ?? 1_000;
  }

  async submitBatch(batch: PaymentBatch): Promise<{ batchId: string; results: SubmissionResult[] }> {
    const results: SubmissionResult[] = [];
    for (let i = 0; i < batch.payments.length; i += this.chunkSize) {
      const chunk = batch.payments.slice(i, i + this.chunkSize);
      const answer = await this.call('POST', '/v1/payment-batches', submissionAnswer, {
        batchId: `${batch.batchId}/${i / this.chunkSize}`,
        payments: chunk,
      });
      // One answer per instruction, same keys, same order: anything else is a garbled answer, and
      // resubmitting under the same keys is the safe way to get a clean one.
      if (
        answer.results.length !== chunk.length ||
        answer.results.some((r, j) => r.idempotencyKey !== chunk[j]?.idempotencyKey)
      ) {
        throw new BankUnavailableError(
          `bank gateway answered a batch of ${chunk.length} with ${answer.results.length} results out of order`,
        );
      }
      results.push(...answer.results.map(clean));
    }
    return { batchId: batch.batchId, results };
  }

  async queryPayments(idempotencyKeys: string[]): Promise<PaymentStatus[]> {
    const statuses: PaymentStatus[] = [];
    for (let i = 0; i < idempotencyKeys.length; i += this.chunkSize) {
      const answer = await this.call('POST', '/v1/payments/query', queryAnswer, {
        idempotencyKeys: idempotencyKeys.slice(i, i + this.chunkSize),
      });
      statuses.push(...answer.payments.map(clean));
    }
    return statuses;
  }

  async inquire(idempotencyKeys: string[]): Promise<InquiryAnswer> {
    const out: InquiryAnswer = { payments: [], missing: [] };
    for (let i = 0; i < idempotencyKeys.length; i += this.chunkSize) {
      const chunk = idempotencyKeys.slice(i, i + this.chunkSize);
      const answer = await this.call('POST', '/v1/payments/inquiry', inquiryAnswer, { idempotencyKeys: chunk });
      // Every key must be accounted for, as known or as missing: a partial answer is no answer.
      const answered = new Set([...answer.payments.map((p) => p.idempotencyKey), ...answer.missing]);
      if (chunk.some((key) => !answered.has(key)))
        throw new BankUnavailableError(`bank gateway left keys of an inquiry of ${chunk.length} unanswered`);
      out.payments.push(...answer.payments.map(clean));
      out.missing.push(...answer.missing);
    }
    return out;
  }

  async fetchStatement(range: { from: string; to: string }): Promise<StatementEntry[]> {
    const entries: StatementEntry[] = [];
    let after: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ from: range.from, to: range.to, ...(after ? { after } : {}) });
      const page = await this.call('GET', `/v1/statements?${query}`, statementAnswer);
      entries.push(...page.entries);
      if (!page.next) return entries;
      after = page.next;
    }
  }

  /** One payment's status, or undefined when the bank never accepted a payment under that key. */
  async getPayment(idempotencyKey: string): Promise<PaymentStatus | undefined> {
    const [status] = await this.queryPayments([idempotencyKey]);
    return status;
  }

  private async call<T>(method: 'POST' | 'GET', pathname: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(new URL(pathname, this.options.baseUrl), {
        method,
        headers:
          body === undefined
            ? { accept: 'application/json' }
            : { 'content-type': 'application/json', accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The body is read under the same deadline: a gateway that stalls mid-answer is unavailable too.
      text = await response.text();
    } catch (error) {
      const what =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
          ? `no answer within ${this.timeoutMs} ms`
          : describe(error);
      throw new BankUnavailableError(`bank gateway ${method} ${pathname}: ${what}`, undefined, { cause: error });
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new BankUnavailableError(`bank gateway ${method} ${pathname} answered ${response.status}`, response.status);
    }
    if (!response.ok) {
      throw new BankRejectedError(
        `bank gateway ${method} ${pathname} refused the request: ${response.status} ${errorSummary(text)}`,
        response.status,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new BankUnavailableError(
        `bank gateway ${method} ${pathname} answered ${response.status} with a body that is not JSON`,
        response.status,
        { cause: error },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new BankUnavailableError(
        `bank gateway ${method} ${pathname} answered in an unexpected shape`,
        response.status,
      );
    return parsed.data;
  }
}

export function createBankClient(options: BankClientOptions): BankGatewayClient {
  return new BankGatewayClient(options);
}

/** Drops optional fields the gateway sent as absent, so results compare cleanly. */
function clean<T extends { reason?: string | undefined; settledAt?: string | undefined }>(value: T): T {
  const out = { ...value };
  if (out.reason === undefined) delete out.reason;
  if (out.settledAt === undefined) delete out.settledAt;
  return out;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** The gateway's error code and the fields it complained about — never the values, which may be account numbers. */
function errorSummary(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; issues?: { path?: unknown }[] };
    const fields = Array.isArray(body.issues) ? body.issues.map((i) => String(i.path ?? '')).slice(0, 5) : [];
    return `${typeof body.error === 'string' ? body.error : 'error'}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
  } catch {
    return '(no JSON body)';
  }
}
