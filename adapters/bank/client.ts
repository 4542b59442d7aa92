import { BankRejectedError, BankUnavailableError, type BankGateway, type PaymentStatus, type SubmissionResult } from './types';

const CHUNK = 1_000;

/** The HTTP client of the bank's payment gateway (simulators/bank-gateway speaks the same API). */
export function createBankClient(options: { baseUrl: string; timeoutMs?: number }): BankGateway {
  const timeoutMs = options.timeoutMs ?? 15_000;
  async function post<T>(pathname: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(pathname, options.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new BankUnavailableError(`bank gateway unreachable at ${pathname}: ${error instanceof Error ? error.name : String(error)}`);
    }
    if (response.status >= 500) throw new BankUnavailableError(`bank gateway answered ${response.status} at ${pathname}`);
    if (!response.ok) throw new BankRejectedError(`bank gateway refused ${pathname}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  return {
    async submitBatch(batch) {
      const results: SubmissionResult[] = [];
      for (let i = 0; i < batch.payments.length; i += CHUNK) {
        const answer = await post<{ results: SubmissionResult[] }>('/v1/payment-batches', {
          batchId: `${batch.batchId}/${i / CHUNK}`,
          payments: batch.payments.slice(i, i + CHUNK),
        });
        results.push(...answer.results);
      }
      return { batchId: batch.batchId, results };
    },
    async queryPayments(keys) {
      const statuses: PaymentStatus[] = [];
      for (let i = 0; i < keys.length; i += CHUNK) {
        const answer = await post<{ payments: PaymentStatus[] }>('/v1/payments/query', { idempotencyKeys: keys.slice(i, i + CHUNK) });
        statuses.push(...answer.payments);
      }
      return statuses;
    },
  };
}
