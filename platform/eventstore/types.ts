/** Who did what, from where: recorded with every event, never containing personal data. */
export interface EventMetadata {
  /** The person or system that caused the event, e.g. `system:worker`, `user:reviewer-411002-01`. */
  actor: string;
  workflowId?: string;
  runId?: string;
  activity?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
}

export interface NewEvent<Type extends string = string, Data extends object = Record<string, unknown>> {
  /** Deterministic id (see `eventIdFor`): appending the same id twice is a no-op, so retries are safe. */
  eventId: string;
  type: Type;
  data: Data;
}

export interface StoredEvent<Type extends string = string, Data extends object = Record<string, unknown>> {
  /** Global order, as a decimal string (bigint). */
  position: string;
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  recordedAt: string;
  prevHash: string;
  hash: string;
}

/** Optimistic concurrency: the version the writer last saw, or `'any'`, or `'no_stream'` for a new stream. */
export type ExpectedVersion = number | 'any' | 'no_stream';

export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, found ${actual}`);
  }
}

export class IdempotencyConflictError extends Error {
  override name = 'IdempotencyConflictError';
}
