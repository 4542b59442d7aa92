import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedUrl } from '../../app/stack/postgres';
import { isAlive, readServiceRecord } from '../../app/stack/processes';
import { loadConfig } from '../../platform/config';
import { issueToken, loadTokenSecret } from '../../platform/security/tokens';
import {
  collect,
  processesMentioning,
  type StackEnv,
  spawnCli,
  stackEnv,
  waitForOutput,
} from '../support/stack-process';

// `npm start` as a user runs it: a separate stack on its own DATA_DIR and ports.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-stack-'));
afterAll(() => {
  for (const pid of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startStackProcess(env: StackEnv) {
  const child = spawnCli(['stack', 'start'], { ...env });
  const output = collect(child);
  await waitForOutput(child, /^ready/m);
  return { child, ...output };
}

async function countEvents(env: StackEnv): Promise<number> {
  const client = new pg.Client({ connectionString: embeddedUrl(loadConfig({ ...process.env, ...env })) });
  await client.connect();
  try {
    return Number((await client.query('select count(*) from events')).rows[0].count);
  } finally {
    await client.end();
  }
}

describe('npm start', () => {
  it('serves the API and the Temporal UI, survives SIGKILL, and leaves nothing behind on SIGINT', async () => {
    const env = await stackEnv(dataDir);
    const api = `http://127.0.0.1:${env.API_PORT}`;
    const ui = `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`;

    // First life: run the system-check workflow through the API.
    const first = await startStackProcess(env);
    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', postgres: { ok: true }, temporal: { ok: true } });
    const unauthenticated = await fetch(`${api}/system-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unauthenticated.status).toBe(401);
    const token = await issueToken(loadTokenSecret(loadConfig({ ...process.env, ...env })), {
      subject: 'lifecycle-test',
      role: 'administrator',
    });
    const started = await fetch(`${api}/system-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(started.status).toBe(201);
    const { workflowId } = (await started.json()) as { workflowId: string };
    const listed = await fetch(
      `${ui}/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}`,
    );
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain(workflowId);
    expect(await countEvents(env)).toBe(1);

    // Crash: SIGKILL gives the stack no chance to clean up; its servers live on as orphans.
    first.child.kill('SIGKILL');
    await first.exited;

    // Second life on the same DATA_DIR: the orphans are adopted, and nothing was lost.
    const second = await startStackProcess(env);
    expect(await countEvents(env)).toBe(1);
    const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
    try {
      const history = await new WorkflowClient({ connection }).getHandle(workflowId).fetchHistory();
      expect(history.events?.length).toBeGreaterThan(5);
    } finally {
      await connection.close();
    }
    const postgresPid = readServiceRecord(path.join(dataDir, 'run'), 'postgres')!.pid;
    const temporalPid = readServiceRecord(path.join(dataDir, 'run'), 'temporal')!.pid;
    expect(isAlive(postgresPid) && isAlive(temporalPid)).toBe(true);

    // Ctrl-C: everything this command started or adopted stops.
    second.child.kill('SIGINT');
    const finished = await second.exited;
    expect(finished.code).toBe(0);
    expect(isAlive(postgresPid)).toBe(false);
    expect(isAlive(temporalPid)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 300_000);
});
