import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { workflowBundle } from '../../app/worker/bundle';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { systemCheckWorkflow } from '../../app/workflows';
import { EventStore } from '../../platform/eventstore';
import { EncryptionCodec } from '../../platform/security/codec';
import { formatKeyRing, generatePayloadKey, parseKeyRing } from '../../platform/security/keyring';
import { dataConverter } from '../../platform/temporal/client';
import { createTestDatabase, type TestDatabase } from '../support/database';

// Histories recorded from now on are encrypted (with the TEST-ONLY ring in tests): they must still
// replay offline, which is what test/replay does with every committed recording in CI.
const taskQueue = 'test-encrypted-replay';
let testDb: TestDatabase;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  testDb = await createTestDatabase('encrypted_replay');
  worker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { store: new EventStore(testDb.db) } as never,
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

it('an encrypted history replays with the key ring, and not with a ring that lacks its key', async () => {
  const workflowId = `system-check-encrypted-${Date.now()}`;
  await client.workflow.execute(systemCheckWorkflow, {
    taskQueue,
    workflowId,
    args: [{ requestedBy: 'encrypted-replay' }],
  });
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');

  const bundle = await workflowBundle();
  await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: dataConverter() }, history, workflowId);
  const stranger = { payloadCodecs: [new EncryptionCodec(parseKeyRing(formatKeyRing([generatePayloadKey()])))] };
  await expect(
    Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: stranger }, history, workflowId),
  ).rejects.toThrow();
}, 120_000);
