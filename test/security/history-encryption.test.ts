import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CODEC_COOKIE } from '../../app/api/routes/codec';
import { EventStore } from '../../platform/eventstore';
import { type JsonPayload, payloadToJson } from '../../platform/security/codec';
import { dataConverter } from '../../platform/temporal/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { listenApi, newSecret, SYNTHETIC_ID, startPersonCheckWorker, tokenFor } from './support';

const taskQueue = 'test-history-encryption';
const UI_ORIGIN = 'http://127.0.0.1:8233';
const secret = newSecret();
const workflowId = `person-check-${Date.now()}`;
let testDb: TestDatabase;
let worker: { stop(): Promise<void> };
let client: Client;
let api: { url: string; close(): Promise<void> };
let activityInput: JsonPayload[];

beforeAll(async () => {
  testDb = await createTestDatabase('history_encryption');
  worker = await startPersonCheckWorker(inject('temporalAddress'), taskQueue);
  client = new Client({
    connection: await Connection.connect({ address: inject('temporalAddress') }),
    dataConverter: dataConverter(),
  });
  api = await listenApi({
    db: testDb.db,
    store: new EventStore(testDb.db),
    temporal: client,
    taskQueue,
    logLevel: 'silent',
    subsidy: {} as never,
    tokenSecret: secret,
    codec: { corsOrigins: [UI_ORIGIN] },
  });
  const result = await client.workflow.execute('personCheckWorkflow', {
    taskQueue,
    workflowId,
    args: [{ idNumber: SYNTHETIC_ID, name: 'Synthetic Person' }],
  });
  expect(result).toContain(SYNTHETIC_ID); // the worker and this client see the clear value
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await client?.connection.close();
  await testDb?.drop();
});

/** The history exactly as Temporal stores and serves it: no data converter, no codec. */
async function rawHistory() {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: 'default',
    execution: { workflowId },
  });
  return response.history!;
}

const decode = (payloads: JsonPayload[], headers: Record<string, string>) =>
  fetch(`${api.url}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify({ payloads }),
  });

describe('payload encryption in Temporal', () => {
  it('the raw history holds no ID number in plain text, only encrypted payloads', async () => {
    const history = await rawHistory();
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
    expect(bytes.includes(Buffer.from(workflowId))).toBe(true); // the search does find what is there
    expect(bytes.includes(Buffer.from(SYNTHETIC_ID))).toBe(false);
    expect(bytes.includes(Buffer.from('Synthetic Person'))).toBe(false);
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    const payloads = scheduled.activityTaskScheduledEventAttributes!.input!.payloads!;
    expect(Buffer.from(payloads[0]!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    activityInput = payloads.map(payloadToJson);
  });

  it("nor does the dev server's database file", () => {
    const dir = inject('testDataDir');
    if (!existsSync(path.join(dir, 'temporal.sqlite'))) return; // TEMPORAL_ADDRESS points elsewhere
    const files = readdirSync(dir).filter((f) => f.startsWith('temporal.sqlite'));
    // SQLite's journal and WAL files come and go while other test files write: one gone since the listing is skipped.
    const readIfThere = (file: string) => {
      try {
        return readFileSync(path.join(dir, file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
        throw error;
      }
    };
    const all = Buffer.concat(files.map(readIfThere));
    expect(all.includes(Buffer.from(workflowId))).toBe(true);
    expect(all.includes(Buffer.from(SYNTHETIC_ID))).toBe(false);
  });

  it('the codec server decodes it for a valid token, in full for a role that needs personal data', async () => {
    const response = await decode(activityInput, {
      authorization: `Bearer ${await tokenFor(secret, 'city_health_commission')}`,
    });
    expect(response.status).toBe(200);
    const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
    const value = defaultPayloadConverter.fromPayload({
      metadata: Object.fromEntries(
        Object.entries(payloads[0]!.metadata!).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      ),
      data: Buffer.from(payloads[0]!.data!, 'base64'),
    });
    expect(value).toEqual({ idNumber: SYNTHETIC_ID, name: 'Synthetic Person' });
  });

  it('masked for a role that does not need it (auditor)', async () => {
    const response = await decode(activityInput, { authorization: `Bearer ${await tokenFor(secret, 'auditor')}` });
    expect(response.status).toBe(200);
    const body = JSON.stringify(await response.json());
    const decoded = JSON.parse(
      Buffer.from((JSON.parse(body) as { payloads: JsonPayload[] }).payloads[0]!.data!, 'base64').toString(),
    ) as Record<string, string>;
    expect(decoded.idNumber).toBe('4110**********001X');
    expect(decoded.name).toBe('Synthetic Person');
  });

  it('refuses without a token (401), with a forged one (401), and to a county reviewer (403)', async () => {
    expect((await decode(activityInput, {})).status).toBe(401);
    expect(
      (await decode(activityInput, { authorization: `Bearer ${await tokenFor(newSecret(), 'administrator')}` })).status,
    ).toBe(401);
    expect(
      (await decode(activityInput, { authorization: `Bearer ${await tokenFor(secret, 'county_reviewer', '411002')}` }))
        .status,
    ).toBe(403);
    const refused = await decode(activityInput, {});
    expect(JSON.stringify(await refused.json())).not.toContain(SYNTHETIC_ID);
  });

  it('answers the browser preflight for the UI origin only, with credentials allowed', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a codec session: the sign-in sets an HttpOnly, SameSite=Strict cookie on /codec that decodes', async () => {
    const signIn = await fetch(`${api.url}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: await tokenFor(secret, 'city_health_commission') }).toString(),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${CODEC_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/codec/);
    const response = await decode(activityInput, { cookie: cookie.split(';')[0]!, origin: UI_ORIGIN });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(
      Buffer.from(((await response.json()) as { payloads: JsonPayload[] }).payloads[0]!.data!, 'base64').toString(),
    ).toContain(SYNTHETIC_ID);
    // A read-only role cannot start a session that it could not use, and a bad token starts none.
    const bad = await fetch(`${api.url}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'x.y.z' }),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  it('encodes for administrators only', async () => {
    const plain = payloadToJson(defaultPayloadConverter.toPayload({ idNumber: SYNTHETIC_ID }));
    const encode = async (role: 'administrator' | 'auditor') =>
      fetch(`${api.url}/codec/encode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(secret, role)}` },
        body: JSON.stringify({ payloads: [plain] }),
      });
    expect((await encode('auditor')).status).toBe(403);
    const response = await encode('administrator');
    expect(response.status).toBe(200);
    const sealed = ((await response.json()) as { payloads: JsonPayload[] }).payloads[0]!;
    expect(Buffer.from(sealed.data!, 'base64').includes(Buffer.from(SYNTHETIC_ID))).toBe(false);
  });
});
