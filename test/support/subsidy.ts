import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { allProjections } from '../../app/projections';
import { subsidyCycleWorkflow } from '../../app/workflows';
import { createBankClient } from '../../platform/adapters/bank';
import { PersonVault } from '../../platform/db/person-vault';
import { EventStore } from '../../platform/eventstore';
import { piiKeysFrom } from '../../platform/security/pii-key';
import { dataConverter } from '../../platform/temporal/client';
import { startBankGateway } from '../../simulators/bank-gateway';
import type { SubsidyDeps } from '../../subsidy/activities';
import { storeUpload } from '../../subsidy/adapters/uploads';
import { type CycleSummary, cycleIdFor, type RunKind } from '../../subsidy/contracts/definitions';
import { createTestDatabase, type TestDatabase } from './database';

export interface SubsidyTestWorld {
  testDb: TestDatabase;
  deps: SubsidyDeps;
  bankUrl: string;
  client: Client;
  workDir: string;
  /** The PII key of this world (base64), for worker processes that must open the same vault. */
  piiKey: string;
  close(): Promise<void>;
}

/** A real database, a real bank-gateway simulator and a Temporal client: what a subsidy test needs. */
export async function createSubsidyWorld(
  name: string,
  bank: { settlementDelayMs?: number } = {},
): Promise<SubsidyTestWorld> {
  const testDb = await createTestDatabase(name);
  const workDir = mkdtempSync(path.join(os.tmpdir(), `xuchang-${name}-`));
  const simulator = await startBankGateway({
    host: '127.0.0.1',
    port: 0,
    journalDir: path.join(workDir, 'bank'),
    settlementDelayMs: bank.settlementDelayMs ?? 50,
  });
  const store = new EventStore(testDb.db, allProjections);
  const piiKey = randomBytes(32).toString('base64');
  const deps: SubsidyDeps = {
    db: testDb.db,
    store,
    vault: new PersonVault(testDb.db, piiKeysFrom(Buffer.from(piiKey, 'base64'))),
    bank: createBankClient({ baseUrl: simulator.url }),
    databaseUrl: testDb.url,
    uploadsDir: path.join(workDir, 'uploads'),
  };
  const client = new Client({
    connection: await Connection.connect({ address: inject('temporalAddress') }),
    dataConverter: dataConverter(),
  });
  return {
    testDb,
    deps,
    bankUrl: simulator.url,
    client,
    workDir,
    piiKey,
    close: async () => {
      await client.connection.close();
      await simulator.close();
      await testDb.drop();
    },
  };
}

export const EXTRACT_HEADER = 'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion';

/** One unattended run (every county approves) through the real cycle workflow, on an extract of these lines. */
export async function runUnattendedCycle(
  world: SubsidyTestWorld,
  taskQueue: string,
  lines: readonly string[],
  run: { quarter: string; runKind?: RunKind; workflowId?: string },
): Promise<CycleSummary> {
  const workflowId = run.workflowId ?? cycleIdFor(run.quarter);
  const dir = path.join(world.workDir, workflowId.replaceAll(':', '_'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'extract.csv'), [EXTRACT_HEADER, ...lines].join('\n'));
  const upload = await storeUpload(world.deps, path.join(dir, 'extract.csv'));
  return (await world.client.workflow.execute(subsidyCycleWorkflow, {
    taskQueue,
    workflowId,
    args: [
      {
        quarter: run.quarter,
        ...(run.runKind ? { runKind: run.runKind } : {}),
        extractHash: upload.hash,
        autoApprove: true,
        timing: { pollInterval: 200, maxPollInterval: 1_000 },
      },
    ],
  })) as CycleSummary;
}

/** A run's row outcomes as [record id, outcome, reason, nights, fen]: extract lines in order, then the rest. */
export async function outcomeRows(world: SubsidyTestWorld, cycleId: string) {
  const rows = await world.deps.db
    .selectFrom('row_outcomes')
    .select(['record_id', 'outcome', 'reason', 'nights', 'amount_fen'])
    .where('cycle_id', '=', cycleId)
    .orderBy(({ fn, ref }) => fn('abs', [ref('line_no')]))
    .execute();
  return rows.map((r) => [r.record_id, r.outcome, r.reason, r.nights, Number(r.amount_fen)]);
}
