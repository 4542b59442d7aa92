import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { type ApiDeps, buildApi } from '../../app/api/server';
import { repoRoot } from '../../platform/config';
import type { Role } from '../../platform/security/roles';
import { issueToken } from '../../platform/security/tokens';
import { dataConverter } from '../../platform/temporal/client';
import type { PersonCheckInput } from './fixtures/person-check-workflow';

/** A synthetic resident ID (valid shape and region, made up): what must never appear in Temporal's store. */
export const SYNTHETIC_ID = '41100219500101001X';

export const newSecret = () => new Uint8Array(randomBytes(32));

export function tokenFor(secret: Uint8Array, role: Role, jurisdiction?: string, ttl = '1h'): Promise<string> {
  return issueToken(
    secret,
    { subject: `${role}-${jurisdiction ?? 'city'}`, role, ...(jurisdiction ? { jurisdiction } : {}) },
    ttl,
  );
}

/** A worker running the person-check fixture workflow on a task queue of its own, with the real data converter. */
export async function startPersonCheckWorker(address: string, taskQueue: string): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: path.join(repoRoot, 'test/security/fixtures/person-check-workflow.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    }),
    activities: { checkPerson: async (input: PersonCheckInput) => `checked ${input.name} ${input.idNumber}` },
    dataConverter: dataConverter(),
  });
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** The real API on a real port. */
export async function listenApi(deps: ApiDeps): Promise<{ url: string; close(): Promise<void> }> {
  const api = await buildApi(deps);
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => api.close() };
}
