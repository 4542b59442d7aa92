import { Writable } from 'node:stream';
import { SignJWT, UnsecuredJWT } from 'jose';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOG_REDACTIONS } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { issueToken } from '../../platform/security/tokens';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';
import { listenApi, newSecret, SYNTHETIC_ID, tokenFor } from './support';

const taskQueue = `test-api-auth-${Date.now()}`;
const secret = newSecret();
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: { url: string; close(): Promise<void> };

beforeAll(async () => {
  world = await createSubsidyWorld('api_auth');
  worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps: world.deps });
  api = await listenApi({
    db: world.deps.db,
    store: world.deps.store,
    temporal: world.client,
    taskQueue,
    logLevel: 'silent',
    subsidy: world.deps,
    tokenSecret: secret,
  });
});
afterAll(async () => {
  await api?.close();
  await worker?.shutdown();
  await world?.close();
});

async function call(method: 'GET' | 'POST', url: string, token?: string, body?: unknown) {
  const response = await fetch(`${api.url}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** What a refused call must leave untouched: the event store, and the workflows on this test's task queue. */
async function worldState() {
  const events = await sql<{ n: string }>`select count(*) as n from events`.execute(world.deps.db);
  let workflows = 0;
  for await (const _ of world.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) workflows += 1;
  return { events: Number(events.rows[0]!.n), workflows };
}

const approveAll = { decision: 'approve', selection: { scope: 'all_undecided' } };

describe('API authentication and authorisation', () => {
  it('refuses, with the right status and nothing changed: no token, expired, forged, unsigned, wrong role, wrong jurisdiction', async () => {
    const before = await worldState();
    const expired = await issueToken(secret, { subject: 'admin', role: 'administrator' }, '-1 hour');
    const forged = await tokenFor(newSecret(), 'administrator'); // signed with another secret
    const tampered = (await tokenFor(secret, 'auditor')).replace(/\.([^.]+)\./, (_m, claims: string) => {
      const payload = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
      return `.${Buffer.from(JSON.stringify({ ...payload, role: 'administrator' })).toString('base64url')}.`;
    });
    const unsigned = new UnsecuredJWT({ role: 'administrator' })
      .setSubject('x')
      .setIssuer('xuchang-workflows')
      .setAudience('xuchang-api')
      .setExpirationTime('1h')
      .encode();
    const hs256WithoutClaims = await new SignJWT({ role: 'administrator' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(secret);

    const cases: [string, 'GET' | 'POST', string, string | undefined, number, unknown?][] = [
      ['no token', 'POST', '/system-checks', undefined, 401],
      ['expired token', 'POST', '/system-checks', expired, 401],
      ['forged token', 'POST', '/system-checks', forged, 401],
      ['tampered claims', 'POST', '/system-checks', tampered, 401],
      ['unsigned (alg none)', 'POST', '/system-checks', unsigned, 401],
      ['our key but no issuer/audience', 'POST', '/system-checks', hs256WithoutClaims, 401],
      ['read-only auditor starting a system check', 'POST', '/system-checks', await tokenFor(secret, 'auditor'), 403],
      [
        'county reviewer starting a system check',
        'POST',
        '/system-checks',
        await tokenFor(secret, 'county_reviewer', '411002'),
        403,
      ],
      [
        'reviewer of another jurisdiction approving',
        'POST',
        '/subsidy/cycles/2025Q3/review/411003/decisions',
        await tokenFor(secret, 'county_reviewer', '411002'),
        403,
        approveAll,
      ],
      [
        'read-only auditor approving',
        'POST',
        '/subsidy/cycles/2025Q3/review/411002/decisions',
        await tokenFor(secret, 'auditor'),
        403,
        approveAll,
      ],
      [
        'finance approving a review',
        'POST',
        '/subsidy/cycles/2025Q3/review/411002/decisions',
        await tokenFor(secret, 'finance'),
        403,
        approveAll,
      ],
      [
        'county reviewer reading the audit',
        'GET',
        '/audit/verify',
        await tokenFor(secret, 'county_reviewer', '411002'),
        403,
      ],
      ['no token on the audit export', 'GET', '/audit/events', undefined, 401],
    ];
    for (const [name, method, url, token, status, body] of cases) {
      const response = await call(method, url, token, body ?? (method === 'POST' ? {} : undefined));
      expect({ name, status: response.status }).toEqual({ name, status });
      expect(response.body.error, name).toBe(
        status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : undefined,
      );
    }
    expect(await worldState()).toEqual(before);
  });

  it('the right role passes: an administrator runs the system check, an auditor reads the audit', async () => {
    const started = await call('POST', '/system-checks', await tokenFor(secret, 'administrator'), {
      requestedBy: 'api-auth-test',
    });
    expect(started.status).toBe(201);
    const verdict = await call('GET', '/audit/verify', await tokenFor(secret, 'auditor'));
    expect(verdict).toMatchObject({ status: 200, body: { ok: true, count: 1 } });
    // /health stays public.
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });
});

describe('logs', () => {
  it('redact ID numbers, accounts, tokens and cookies whatever a route logs', () => {
    let output = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((output += chunk.toString()), done()) });
    const log = pino({ redact: { paths: LOG_REDACTIONS, censor: '[redacted]' } }, sink);
    log.info(
      {
        body: { idNumber: SYNTHETIC_ID, accountNo: '6217000010001234567', token: 'eyJ.secret.token' },
        req: { headers: { authorization: 'Bearer abc', cookie: 'xuchang_codec=abc' } },
      },
      'request',
    );
    expect(output).not.toContain(SYNTHETIC_ID);
    expect(output).not.toContain('6217000010001234567');
    expect(output).not.toContain('eyJ.secret.token');
    expect(output).not.toContain('Bearer abc');
    expect(output).not.toContain('xuchang_codec=abc');
  });
});
