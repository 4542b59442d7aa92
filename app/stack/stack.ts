import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { type HousingAdapters, simulatedHousingAdapters } from '../../housing/activities';
import { createBankClient } from '../../platform/adapters/bank';
import { type Config, dataPaths } from '../../platform/config';
import { createDb, type Db, migrateToLatest } from '../../platform/db/database';
import { PersonVault } from '../../platform/db/person-vault';
import { EventStore } from '../../platform/eventstore';
import { loadPayloadKeyRing } from '../../platform/security/keyring';
import { loadPiiKeys } from '../../platform/security/pii-key';
import { loadTokenSecret } from '../../platform/security/tokens';
import { connectClient, usePayloadKeyRing } from '../../platform/temporal/client';
import type { SubsidyDeps } from '../../subsidy/activities';
import { buildApi } from '../api/server';
import { allProjections } from '../projections';
import { type RunningWorker, startWorker } from '../worker/worker';
import { type BankHandle, ensureBankGateway, startBankSimulator, stopBankSimulator } from './bank';
import { ensurePostgres, type PostgresHandle, restartPostgres, runningPostmasterPid, stopPostmaster } from './postgres';
import {
  isAlive,
  otherUsers,
  readServiceRecord,
  registerUser,
  removeServiceRecord,
  withRunLock,
  writeServiceRecord,
} from './processes';
import { ensureQuarterlySchedule, QUARTERLY_SCHEDULE_ID } from './schedules';
import { trackStack } from './signals';
import { codecCorsOrigins, ensureTemporal, startDevServer, stopDevServer, type TemporalHandle } from './temporal';

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
  /**
   * Stops in order — the API (no new work), the worker (in-flight activities finish or are cancelled),
   * the clients — then the servers this command owns: when other commands still use them, ownership
   * passes to one of them instead; the last one out stops the bank simulator, Temporal and PostgreSQL.
   */
  stop(): Promise<void>;
}

/** `npm start` on a DATA_DIR whose stack already runs: nothing is started; the message says where it runs. */
export class StackAlreadyRunning extends Error {
  override name = 'StackAlreadyRunning';
}

type Service = 'postgres' | 'temporal' | 'bank-gateway';

/** The embedded servers of this DATA_DIR that this process may have to stop or restart, in start order. */
function embeddedServices(config: Config): Service[] {
  const services: Service[] = [];
  if (!config.DATABASE_URL) services.push('postgres');
  if (!config.BANK_GATEWAY_URL) services.push('bank-gateway');
  if (!config.TEMPORAL_ADDRESS) services.push('temporal');
  return services;
}

async function stopService(config: Config, service: Service, pid: number, log: (line: string) => void): Promise<void> {
  if (service === 'postgres') await stopPostmaster(config, pid, log);
  else if (service === 'temporal') await stopDevServer(dataPaths(config).run, pid);
  else await stopBankSimulator(config, pid);
}

async function restartService(config: Config, service: Service, log: (line: string) => void): Promise<void> {
  if (service === 'postgres') await restartPostgres(config, log);
  else if (service === 'temporal') await startDevServer(config, log);
  else await startBankSimulator(config, log);
}

/** The pid of the running server of a service (PostgreSQL: from its own lock file, which outlives our record). */
function servicePid(config: Config, service: Service): number | undefined {
  if (service === 'postgres') return runningPostmasterPid(dataPaths(config).postgres);
  const pid = readServiceRecord(dataPaths(config).run, service)?.pid;
  return isAlive(pid) ? pid : undefined;
}

/**
 * Restarts an embedded server that died (SIGKILL, OOM) while this command owns it, or while its owner
 * is gone. Runs every 2 s; checks again under the run lock so two commands never both restart it.
 */
function superviseServers(config: Config, log: (line: string) => void): { stop: () => void } {
  const runDir = dataPaths(config).run;
  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      for (const service of embeddedServices(config)) {
        if (stopped) return;
        if (servicePid(config, service)) continue;
        const record = readServiceRecord(runDir, service);
        if (record && record.ownerPid !== process.pid && isAlive(record.ownerPid)) continue; // its owner supervises it
        await withRunLock(runDir, log, async () => {
          if (stopped || servicePid(config, service)) return;
          log(`${service}: the server${record ? ` (pid ${record.pid})` : ''} is gone — restarting it`);
          await restartService(config, service, log);
          log(`${service}: restarted`);
        });
      }
    } catch (error) {
      log(`supervisor: ${error instanceof Error ? error.message : String(error)} (will try again)`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 2_000);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/**
 * Brings up the parts of the system a command needs: PostgreSQL (migrated), Temporal, and optionally
 * the worker and the HTTP API. Servers already run by another live command are reused, not restarted;
 * start-up is serialised per DATA_DIR (withRunLock), so two commands at once on a fresh DATA_DIR share one set.
 */
export async function startStack(config: Config, parts: StackParts, log: (line: string) => void): Promise<Stack> {
  const paths = dataPaths(config);
  const embedded = embeddedServices(config).length > 0;
  if (parts.api && embedded) {
    const api = readServiceRecord(paths.run, 'api');
    if (api && api.ownerPid !== process.pid && isAlive(api.ownerPid)) {
      throw new StackAlreadyRunning(
        `the stack of ${paths.root} is already running (pid ${api.ownerPid}, since ${api.startedAt}): API http://${config.API_HOST}:${api.port}, ` +
          `Temporal UI http://127.0.0.1:${config.TEMPORAL_UI_PORT}. Stop it with Ctrl-C in its terminal or \`kill -INT ${api.ownerPid}\`; use another DATA_DIR (and ports) for a second stack`,
      );
    }
  }

  const stops: (() => Promise<void>)[] = [];
  let unregister: (() => void) | undefined;
  let supervisor: { stop: () => void } | undefined;
  const releaseServers = async () => {
    supervisor?.stop();
    if (!embedded) return;
    await withRunLock(paths.run, log, async () => {
      unregister?.();
      const others = otherUsers(paths.run);
      for (const service of embeddedServices(config).reverse()) {
        const record = readServiceRecord(paths.run, service);
        const pid = servicePid(config, service);
        if (!record || !pid) continue;
        const mine = record.ownerPid === process.pid || !isAlive(record.ownerPid);
        if (!mine) continue;
        const heir = others[0];
        if (heir) {
          writeServiceRecord(paths.run, service, { ...record, pid, ownerPid: heir.pid });
          log(`${service}: left running for pid ${heir.pid}, which still uses it`);
          continue;
        }
        await stopService(config, service, pid, log);
      }
    });
  };
  let stopping: Promise<void> | undefined;
  let untrack: (() => void) | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      untrack?.();
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch (error) {
          log(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      stops.length = 0;
      try {
        await releaseServers();
      } catch (error) {
        log(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
    return stopping;
  };
  untrack = trackStack(stopAll);
  try {
    // Every client and worker of this process encrypts payloads with this stack's key ring.
    const payloadKeys = loadPayloadKeyRing(config);
    usePayloadKeyRing(payloadKeys);
    // External servers only (docker compose): nothing to serialise or hand over.
    const serialised = <T>(work: () => Promise<T>) => (embedded ? withRunLock(paths.run, log, work) : work());
    const { postgres, temporal, bank } = await serialised(async () => {
      const pgHandle = await ensurePostgres(config, log);
      const bankHandle = await ensureBankGateway(config, log);
      const temporalHandle = await ensureTemporal(config, log);
      if (embedded)
        unregister = registerUser(paths.run, {
          worker: parts.worker,
          api: parts.api,
          argv: process.argv.slice(2).join(' '),
        });
      return { postgres: pgHandle, temporal: temporalHandle, bank: bankHandle };
    });
    if (embedded) supervisor = superviseServers(config, log);
    const db = createDb(postgres.url, {
      onError: (error) => log(`postgres: an idle connection was lost (${error.message}); it will be reopened`),
    });
    stops.push(() => db.destroy());
    await migrateToLatest(db);
    const store = new EventStore(db, allProjections);
    const vault = new PersonVault(db, loadPiiKeys(config));
    const subsidyDeps: SubsidyDeps = {
      db,
      store,
      vault,
      bank: createBankClient({ baseUrl: bank.url }),
      databaseUrl: postgres.url,
      uploadsDir: paths.uploads,
    };

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
        deps: {
          ...subsidyDeps,
          housing:
            parts.housing ?? simulatedHousingAdapters({ stateDir: path.join(config.DATA_DIR, 'housing-simulators') }),
        },
        bundleCacheDir: paths.cache,
      });
      const running = worker;
      stops.push(() => running.shutdown());
    }

    let api: FastifyInstance | undefined;
    if (parts.api) {
      api = await buildApi({
        db,
        store,
        temporal: client,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        logLevel: config.LOG_LEVEL,
        subsidy: subsidyDeps,
        tokenSecret: loadTokenSecret(config),
        codec: { keyRing: payloadKeys, corsOrigins: codecCorsOrigins(config), uiUrl: temporal.uiUrl },
      });
      try {
        await api.listen({ host: config.API_HOST, port: config.API_PORT });
      } catch (error) {
        await api.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new Error(
            `API_PORT ${config.API_PORT} on ${config.API_HOST} is taken by another program: stop it or set API_PORT`,
          );
        }
        throw error;
      }
      const listening = api;
      const port = (listening.server.address() as { port: number }).port;
      if (embedded)
        writeServiceRecord(paths.run, 'api', {
          pid: process.pid,
          ownerPid: process.pid,
          port,
          startedAt: new Date().toISOString(),
        });
      stops.push(async () => {
        removeServiceRecord(paths.run, 'api');
        await listening.close();
      });
    }
    const address = api?.server.address();
    const apiUrl = address && typeof address === 'object' ? `http://${config.API_HOST}:${address.port}` : undefined;
    return { config, db, store, client, temporal, postgres, apiUrl, bank, subsidyDeps, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
