import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../app/activities';
import { buildApi } from '../../app/api/server';
import { allProjections } from '../../app/projections';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { type HousingAdapters, simulatedHousingAdapters } from '../../housing/activities';
import type { HousingDeps } from '../../housing/context';
import type { ListingTiming } from '../../housing/contracts/definitions';
import { createBankClient } from '../../platform/adapters/bank';
import { PersonVault } from '../../platform/db/person-vault';
import { EventStore } from '../../platform/eventstore';
import { piiKeysFrom } from '../../platform/security/pii-key';
import type { Role } from '../../platform/security/roles';
import { issueToken } from '../../platform/security/tokens';
import { dataConverter } from '../../platform/temporal/client';
import { startBankGateway } from '../../simulators/bank-gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** Short waits for tests: the workflow's real ones are days (PITFALLS: no time-skipping server here). */
export const TEST_TIMING: ListingTiming = {
  decisionReminder: 200,
  decisionDeadline: 60_000,
  surveyReminderEvery: 1_500,
  surveyMaxReminders: 2,
  negotiationDeadline: '10 minutes',
  pollIntervalMs: 40,
};

export interface HousingWorld {
  deps: HousingDeps & ActivityDeps;
  adapters: HousingAdapters;
  client: Client;
  taskQueue: string;
  /** Listing ids whose registration the simulated registry fails, or whose loan the bank refuses. */
  failRegistration: Set<string>;
  refuseLoan: Set<string>;
  /** Listings whose appraisal goes to another firm than the simulator (it submits through the API), by firm. */
  commissionTo: Map<string, string>;
  /** Listings whose simulated appraisal value is overridden (fen). */
  appraisalValue: Map<string, number>;
  /** The bank-gateway simulator (admin endpoints: close an account, read the ledger). */
  bankUrl: string;
  /** An API whose listings wait in the given purchase plan. */
  api(planId: string): Promise<FastifyInstance>;
  token(role: Role, subject: string): Promise<string>;
  close(): Promise<void>;
}

const secret = new Uint8Array(32).fill(9);

/** A real database, Temporal, bank-gateway simulator and housing simulators, and a worker on its own task queue. */
export async function createHousingWorld(name: string): Promise<HousingWorld> {
  const testDb: TestDatabase = await createTestDatabase(name);
  const workDir = mkdtempSync(path.join(os.tmpdir(), `xuchang-${name}-`));
  const bank = await startBankGateway({
    host: '127.0.0.1',
    port: 0,
    journalDir: path.join(workDir, 'bank'),
    settlementDelayMs: 30,
  });
  const failRegistration = new Set<string>();
  const refuseLoan = new Set<string>();
  const commissionTo = new Map<string, string>();
  const appraisalValue = new Map<string, number>();
  const adapters = simulatedHousingAdapters({
    appraisal: { commissionTo: (r) => commissionTo.get(r.listingId), valueFor: (r) => appraisalValue.get(r.listingId) },
    registry: {
      delayMs: 80,
      failureOf: (r) => (failRegistration.has(r.listingId) ? 'mortgage on the title (查封)' : undefined),
    },
    lending: {
      delayMs: 80,
      refusalOf: (a) => (refuseLoan.has(a.listingId) ? 'credit limit of the borrower reached' : undefined),
    },
  });
  const store = new EventStore(testDb.db, allProjections);
  const deps = {
    db: testDb.db,
    store,
    vault: new PersonVault(testDb.db, piiKeysFrom(randomBytes(32))),
    bank: createBankClient({ baseUrl: bank.url }),
    databaseUrl: testDb.url,
    uploadsDir: path.join(workDir, 'uploads'),
    housing: adapters,
  };
  const taskQueue = `test-${name}`;
  const worker: RunningWorker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps,
  });
  const client = new Client({
    connection: await Connection.connect({ address: inject('temporalAddress') }),
    dataConverter: dataConverter(),
  });
  const apis: FastifyInstance[] = [];
  return {
    deps,
    adapters,
    client,
    taskQueue,
    failRegistration,
    refuseLoan,
    commissionTo,
    appraisalValue,
    bankUrl: bank.url,
    api: async (planId) => {
      const api = await buildApi({
        db: deps.db,
        store,
        temporal: client,
        taskQueue,
        logLevel: 'silent',
        subsidy: deps,
        tokenSecret: secret,
        housing: { planId, timing: TEST_TIMING },
      });
      apis.push(api);
      return api;
    },
    token: (role, subject) => issueToken(secret, { subject, role }),
    close: async () => {
      for (const api of apis) await api.close();
      await worker.shutdown();
      await client.connection.close();
      await bank.close();
      await testDb.drop();
    },
  };
}

/** Calls the API with a bearer token; returns the status and the parsed body. */
export async function call(api: FastifyInstance, method: 'GET' | 'POST', url: string, token: string, body?: unknown) {
  const response = await api.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : undefined) as any };
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
