import { Context } from '@temporalio/activity';
import type { BankGateway } from '../../adapters/bank/types';
import type { Db } from '../../db/database';
import type { PersonVault } from '../../db/person-vault';
import { eventIdFor, type EventMetadata, type EventStore, type NewEvent } from '../../eventstore';
import type { SubsidyEvent } from '../../projections/subsidy/events';
import type { Actor } from '../../workflows/subsidy/definitions';

/** What the subsidy's activities and services need from the outside world. */
export interface SubsidyDeps {
  db: Db;
  store: EventStore;
  vault: PersonVault;
  bank: BankGateway;
  /** Connection string, for COPY on a dedicated connection. */
  databaseUrl: string;
  /** Uploads live in PostgreSQL now (activities/subsidy/uploads.ts); this folder is only read for files stored here before. */
  uploadsDir: string;
  /** Rows per committed chunk of an extract's ingest (tests make it small); default 20,000. */
  ingestCheckpointRows?: number;
  /** Official holiday arrangements (data/holidays when unset); tests give their own folder. */
  holidaysDir?: string;
}

/** Metadata for events an activity appends: the actor, plus where in Temporal it happened. */
export function activityMetadata(actor: Actor | string): EventMetadata {
  const who = typeof actor === 'string' ? actor : `${actor.role}:${actor.subject}`;
  if (!hasContext()) return { actor: who };
  const info = Context.current().info;
  return { actor: who, workflowId: info.workflowExecution?.workflowId, runId: info.workflowExecution?.runId, activity: info.activityType };
}

function hasContext(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

/** Heartbeats when running as an activity; a no-op when called directly (CLI, tests). */
export function heartbeat(details?: unknown): void {
  if (hasContext()) Context.current().heartbeat(details);
}

/** A subsidy event with an id derived from the parts that identify it, so retries append nothing new. */
export function subsidyEvent<E extends SubsidyEvent>(type: E['type'], data: E['data'], ...idParts: (string | number)[]): NewEvent {
  return { eventId: eventIdFor(type, ...idParts), type, data: data as unknown as Record<string, unknown> };
}

export const SYSTEM_ACTOR = 'system:worker';
