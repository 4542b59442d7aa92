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

/** The bank's answer to one instruction at submission; 'accepted' means it will settle or fail later. */
export interface SubmissionResult {
  idempotencyKey: string;
  /** The bank's id of the payment the key is bound to. */
  paymentId: string;
  status: 'accepted' | 'rejected';
  /** For 'rejected': 'invalid_account', or 'idempotency_conflict' (the key was used for other content). */
  reason?: string;
}

export interface PaymentStatus {
  idempotencyKey: string;
  paymentId: string;
  status: 'pending' | 'settled' | 'failed';
  /** For 'failed': why, e.g. 'account_closed'. */
  reason?: string;
  amountFen: number;
  settledAt?: string;
}

/** The bank's answer to an inquiry about one key: refusals at submission included. */
export interface InquiryStatus {
  idempotencyKey: string;
  paymentId: string;
  status: 'pending' | 'settled' | 'failed' | 'rejected';
  /** For 'failed' and 'rejected': the bank's reason, e.g. 'account_closed', 'invalid_account'. */
  reason?: string;
  amountFen: number;
  settledAt?: string;
}

export interface InquiryAnswer {
  payments: InquiryStatus[];
  /** Keys the bank never received: sending them (again) cannot pay twice. */
  missing: string[];
}

/**
 * One booked debit of the payer account's statement (camt.053 entry / MT940 :61: line): what the
 * bank actually paid, whatever our books say. `endToEndId` is the idempotency key we sent.
 */
export interface StatementEntry {
  entryRef: string;
  endToEndId: string;
  amountFen: number;
  currency: string;
  creditDebit: 'DBIT' | 'CRDT';
  bookingDate: string;
  valueDate: string;
}

export interface PaymentBatch {
  /** The caller's reference for the batch (informational: idempotency is per payment, by key). */
  batchId: string;
  payments: PaymentInstruction[];
}

/**
 * The bank's payment gateway as the payment activities see it. Both calls are safe to repeat:
 * a submission under keys already used returns the first answers and pays nothing more.
 */
export interface BankGateway {
  /** Submits in chunks; one result per instruction, in order. Throws BankUnavailableError or BankRejectedError. */
  submitBatch(batch: PaymentBatch): Promise<{ batchId: string; results: SubmissionResult[] }>;
  /** Statuses of the payments the bank accepted under these keys; keys it never accepted are absent. */
  queryPayments(idempotencyKeys: string[]): Promise<PaymentStatus[]>;
  /** What became of each key, refusals included, and which keys the bank never received. */
  inquire(idempotencyKeys: string[]): Promise<InquiryAnswer>;
  /** The statement's booked entries with a value date in [from, to] (ISO dates), every page. */
  fetchStatement(range: { from: string; to: string }): Promise<StatementEntry[]>;
}

/**
 * The bank could not be reached or did not answer usably (network error, timeout, 5xx, 429, a
 * garbled answer): retry with the same keys. A plain Error subclass, so Temporal retries it.
 */
export class BankUnavailableError extends Error {
  override name = 'BankUnavailableError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The bank refused the request itself (4xx): sending it again will not help. Payment activities list
 * 'BankRejectedError' in `nonRetryableErrorTypes` (or wrap it in a non-retryable ApplicationFailure).
 */
export class BankRejectedError extends Error {
  override name = 'BankRejectedError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
