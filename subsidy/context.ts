import type { BankGateway } from '../platform/adapters/bank/types';
import type { Db } from '../platform/db/database';
import type { PersonVault } from '../platform/db/person-vault';
import { type EventStore, eventIdFor, type NewEvent } from '../platform/eventstore';
import type { SubsidyEvent } from './contracts/events';

/** What the subsidy's activities and services need from the outside world. */
export interface SubsidyDeps {
  db: Db;
  store: EventStore;
  vault: PersonVault;
  bank: BankGateway;
  /** Connection string, for COPY on a dedicated connection. */
  databaseUrl: string;
  /** Uploads live in PostgreSQL now (subsidy/adapters/uploads.ts); this folder is only read for files stored here before. */
  uploadsDir: string;
  /** Rows per committed chunk of an extract's ingest (tests make it small); default 20,000. */
  ingestCheckpointRows?: number;
  /** Official holiday arrangements (data/holidays when unset); tests give their own folder. */
  holidaysDir?: string;
}

// Shared with the housing activities; kept exported here for the subsidy's own imports.
export { activityMetadata, heartbeat } from '../platform/temporal/activity-context';

/** A subsidy event with an id derived from the parts that identify it, so retries append nothing new. */
export function subsidyEvent<E extends SubsidyEvent>(
  type: E['type'],
  data: E['data'],
  ...idParts: (string | number)[]
): NewEvent {
  return { eventId: eventIdFor(type, ...idParts), type, data: data as unknown as Record<string, unknown> };
}

export const SYSTEM_ACTOR = 'system:worker';
