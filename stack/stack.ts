import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server';
import { createDb, migrateToLatest, type Db } from '../db/database';
import { EventStore } from '../eventstore';
import { allProjections } from '../projections';
import { startWorker, type RunningWorker } from '../worker/worker';
import { dataPaths, type Config } from './config';
import { ensurePostgres, type PostgresHandle } from './postgres';
import { codecCorsOrigins, ensureTemporal, type TemporalHandle } from './temporal';
import { connectClient, usePayloadKeyRing } from './temporal-client';
import { loadPayloadKeyRing } from '../security/keyring';
import { ensureBankGateway, type BankHandle } from './bank';
import { ensureQuarterlySchedule, QUARTERLY_SCHEDULE_ID } from './schedules';
import { loadPiiKeys } from './pii-key';
import { loadTokenSecret } from '../security/tokens';
import { PersonVault } from '../db/person-vault';
import { createBankClient } from '../adapters/bank';
import type { SubsidyDeps } from '../activities/subsidy';
import { simulatedHousingAdapters, type HousingAdapters } from '../activities/housing';

export interface StackParts {
  worker: boolean;
  api: boolean;
  /** Appraisal firm, registry and lending bank of the housing purchase; default: the bundled simulators. */
  housing?: HousingAdapters;
}

export interface Stack {
  config: Config;
  db: Db;
  store: EventStore;
  client: Client;
  temporal: TemporalHandle;
  postgres: PostgresHandle;
  apiUrl: string | undefined;
  bank: BankHandle;
  /** What the subsidy's activities and services use; the CLI calls the same services directly. */
  subsidyDeps: SubsidyDeps;
  /** Stops what this command started, in reverse order, leaving no process behind. */
  stop(): Promise<void>;
}

/**
 * Brings up the parts of the system a command needs: PostgreSQL (migrated), Temporal, and optionally
 * the worker and the HTTP API. Servers already run by another live command are reused, not restarted.
 */
export async function startStack(config: Config, parts: StackParts, log: (line: string) => void): Promise<Stack> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    stops.length = 0;
  };
  try {
    // Every client and worker of this process encrypts payloads with this stack's key ring.
    const payloadKeys = loadPayloadKeyRing(config);
    usePayloadKeyRing(payloadKeys);
    const postgres = await ensurePostgres(config, log);
    stops.push(() => postgres.stop());
    const db = createDb(postgres.url);
    stops.push(() => db.destroy());
    await migrateToLatest(db);
    const store = new EventStore(db, allProjections);
    const vault = new PersonVault(db, loadPiiKeys(config));
    const bank = await ensureBankGateway(config, log);
    stops.push(() => bank.stop());
    const subsidyDeps: SubsidyDeps = {
      db,
      store,
      vault,
      bank: createBankClient({ baseUrl: bank.url }),
      databaseUrl: postgres.url,
      uploadsDir: dataPaths(config).uploads,
    };

    const temporal = await ensureTemporal(config, log);
    stops.push(() => temporal.stop());
    const client = await connectClient(temporal.address, config.TEMPORAL_NAMESPACE);
    stops.push(() => client.connection.close());

    if (parts.worker) {
      const outcome = await ensureQuarterlySchedule(client, config.TEMPORAL_TASK_QUEUE);
      log(`schedule ${QUARTERLY_SCHEDULE_ID}: ${outcome}`);
    }

    let worker: RunningWorker | undefined;
    if (parts.worker) {
      worker = await startWorker({
        address: temporal.address,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        deps: { ...subsidyDeps, housing: parts.housing ?? simulatedHousingAdapters({ stateDir: path.join(config.DATA_DIR, 'housing-simulators') }) },
        bundleCacheDir: dataPaths(config).cache,
      });
      const running = worker;
      stops.push(() => running.shutdown());
    }

    let api: FastifyInstance | undefined;
    if (parts.api) {
      api = await buildApi({ db, store, temporal: client, taskQueue: config.TEMPORAL_TASK_QUEUE, logLevel: config.LOG_LEVEL, subsidy: subsidyDeps, tokenSecret: loadTokenSecret(config), codec: { keyRing: payloadKeys, corsOrigins: codecCorsOrigins(config), uiUrl: temporal.uiUrl } });
      await api.listen({ host: config.API_HOST, port: config.API_PORT });
      const listening = api;
      stops.push(() => listening.close());
    }
    const address = api?.server.address();
    const apiUrl = address && typeof address === 'object' ? `http://${config.API_HOST}:${address.port}` : undefined;
    return { config, db, store, client, temporal, postgres, apiUrl, bank, subsidyDeps, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
