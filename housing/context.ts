import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BankGateway } from '../platform/adapters/bank/types';
import type { Db } from '../platform/db/database';
import type { PersonVault } from '../platform/db/person-vault';
import { type EventStore, eventIdFor, type NewEvent, type StoredEvent } from '../platform/eventstore';
import { heartbeat } from '../platform/temporal/activity-context';
import { type AppraisalFirm, createAppraisalSimulator } from './adapters/appraisal';
import { createLendingSimulator, type LendingBank } from './adapters/lending';
import { createRegistrySimulator, type PropertyRegistry } from './adapters/registry';
import { type HousingEvent, type HousingEventType, housingStreams } from './contracts/events';

/** The outside systems of a purchase: the appraisal firm, the registry (with deed tax) and the lending bank. */
export interface HousingAdapters {
  appraisal: AppraisalFirm;
  registry: PropertyRegistry;
  lending: LendingBank;
}

/** What the housing activities and services need; the seller is paid through the same bank gateway as the subsidy. */
export interface HousingDeps {
  db: Db;
  store: EventStore;
  vault: PersonVault;
  bank: BankGateway;
  housing: HousingAdapters;
}

export interface HousingSimulatorOptions {
  appraisal?: Parameters<typeof createAppraisalSimulator>[0];
  registry?: Parameters<typeof createRegistrySimulator>[0];
  lending?: Omit<Parameters<typeof createLendingSimulator>[0], 'registry'>;
  /** Keeps the simulators' state in journals here (the stack: DATA_DIR/housing-simulators), so a restart forgets nothing. */
  stateDir?: string;
}

/** The bundled in-process simulators (development, tests, bench); the lending bank checks the same registry. */
export function simulatedHousingAdapters(options: HousingSimulatorOptions = {}): HousingAdapters {
  const file = (name: string) => (options.stateDir ? { stateFile: path.join(options.stateDir, `${name}.jsonl`) } : {});
  const registry = createRegistrySimulator({ ...file('registry'), ...options.registry });
  return {
    appraisal: createAppraisalSimulator({ ...file('appraisal'), ...options.appraisal }),
    registry,
    lending: createLendingSimulator({ ...file('lending'), ...options.lending, registry }),
  };
}

export const PLAN_ACTOR = 'system:purchase-plan';
export const WORKER_ACTOR = 'system:worker';

/** A housing event with an id derived from what identifies the fact, so a retried activity appends nothing new. */
export function housingEvent<T extends HousingEventType>(
  type: T,
  data: Extract<HousingEvent, { type: T }>['data'],
  ...idParts: (string | number)[]
): NewEvent {
  return { eventId: eventIdFor('housing', type, ...idParts), type, data: data as unknown as Record<string, unknown> };
}

export type ListingHistory = Partial<{ [T in HousingEventType]: Extract<HousingEvent, { type: T }>['data'] }>;

/** The latest event of each type in a listing's stream: the facts later steps build on. */
export async function listingHistory(store: EventStore, listingId: string): Promise<ListingHistory> {
  const events: StoredEvent[] = await store.readStream(housingStreams.listing(listingId));
  const history: Record<string, unknown> = {};
  for (const e of events) history[e.type] = e.data;
  return history as ListingHistory;
}

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

/** Asks `check` until it answers, heartbeating between tries (the activity's timeout bounds the wait). */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number): Promise<T> {
  for (;;) {
    const answer = await check();
    if (answer !== undefined) return answer;
    heartbeat();
    await sleep(intervalMs);
  }
}
