import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { allProjections } from '../../app/projections';
import { createBankClient } from '../../platform/adapters/bank';
import { PersonVault } from '../../platform/db/person-vault';
import { EventStore } from '../../platform/eventstore';
import { piiKeysFrom } from '../../platform/security/pii-key';
import { dataConverter } from '../../platform/temporal/client';
import { startBankGateway } from '../../simulators/bank-gateway';
import type { SubsidyDeps } from '../../subsidy/activities';
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
