import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { systemCheckWorkflow } from '../../app/workflows';
import { EventStore, verifyChain } from '../../platform/eventstore';
import { dataConverter } from '../../platform/temporal/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { recordHistory } from '../support/histories';

const taskQueue = 'test-system-check';
let testDb: TestDatabase;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  testDb = await createTestDatabase('system_check');
  const store = new EventStore(testDb.db);
  worker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { store } as never,
  });
  client = new Client({
    connection: await Connection.connect({ address: inject('temporalAddress') }),
    dataConverter: dataConverter(),
  });
});
afterAll(async () => {
  await worker?.shutdown();
  await client?.connection.close();
  await testDb?.drop();
});

it('runs the system check: the activity appends a verifiable event', async () => {
  const workflowId = `system-check-test-${Date.now()}`;
  const result = await client.workflow.execute(systemCheckWorkflow, {
    taskQueue,
    workflowId,
    args: [{ requestedBy: 'test' }],
  });
  const store = new EventStore(testDb.db);
  const events = await store.readStream(result.streamId);
  expect(events).toHaveLength(1);
  expect(events[0]!.metadata).toMatchObject({ workflowId, activity: 'recordSystemCheck', actor: 'test' });
  expect(await verifyChain(store)).toMatchObject({ ok: true, count: 1 });
  await recordHistory(client, workflowId, 'system-check');
});
