/** One instruction to pay a beneficiary's social-security-card account. Money in fen. */
export interface PaymentInstruction {
  /** Unique per attempt: the bank answers a repeated key with its first answer and never pays twice. */
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

export interface PaymentStatus {
  idempotencyKey: string;
  paymentId: string;
  status: 'pending' | 'settled' | 'failed';
  reason?: string;
  amountFen: number;
  settledAt?: string;
}

/** The bank's payment gateway as the payment activities see it. */
export interface BankGateway {
  submitBatch(batch: { batchId: string; payments: PaymentInstruction[] }): Promise<{ batchId: string; results: SubmissionResult[] }>;
  queryPayments(idempotencyKeys: string[]): Promise<PaymentStatus[]>;
}

/** The bank could not be reached or failed (timeout, 5xx): retry with the same keys. */
export class BankUnavailableError extends Error {
  override name = 'BankUnavailableError';
}

/** The bank refused the request itself (4xx): retrying the same request will not help. */
export class BankRejectedError extends Error {
  override name = 'BankRejectedError';
}
