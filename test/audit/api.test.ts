import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExport } from '../../app/audit/export';
import { allProjections } from '../../app/projections';
import { EventStore } from '../../platform/eventstore';
import { subsidyEvent } from '../../subsidy/context';
import { listenApi, newSecret, tokenFor } from '../security/support';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The auditors' read-only API: the same verify, rebuild and export as the CLI, over HTTP.
const secret = newSecret();
let testDb: TestDatabase;
let store: EventStore;
let api: { url: string; close(): Promise<void> };
let auditor: string;

beforeAll(async () => {
  testDb = await createTestDatabase('audit_api');
  store = new EventStore(testDb.db, allProjections);
  for (const jurisdiction of ['411002', '411003']) {
    const cycleId = 'subsidy-cycle-2025Q3';
    await store.append(
      `${cycleId}:funding:${jurisdiction}`,
      [
        subsidyEvent(
          'FundingRequested',
          { cycleId, jurisdiction, payments: 1, amountFen: 10_000, cityShareFen: 4_000, countyShareFen: 6_000 },
          cycleId,
          jurisdiction,
        ),
      ],
      { metadata: { actor: 'test:audit-api' } },
    );
  }
  api = await listenApi({
    db: testDb.db,
    store,
    temporal: {} as never,
    taskQueue: 'unused',
    logLevel: 'silent',
    subsidy: {} as never,
    tokenSecret: secret,
  });
  auditor = await tokenFor(secret, 'auditor');
});
afterAll(async () => {
  await api?.close();
  await testDb?.drop();
});

const get = (url: string, token = auditor) =>
  fetch(`${api.url}${url}`, { headers: { authorization: `Bearer ${token}` } });

describe('audit API', () => {
  it('verify, rebuild and export for an auditor', async () => {
    expect(await (await get('/audit/verify')).json()).toMatchObject({ ok: true, count: 2 });
    expect(await (await get('/audit/rebuild')).json()).toMatchObject({ ok: true, events: 2, differences: [] });
    const exported = await get('/audit/events?quarter=2025Q3');
    expect(exported.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = (await exported.text()).trim().split('\n');
    expect(checkExport(lines)).toEqual({ lines: 2, mismatches: [], breaks: [] });
    expect((await (await get('/audit/events?quarter=2024Q1')).text()).trim()).toBe('');
  });

  it('is read-only: no mutating method is offered', async () => {
    const response = await fetch(`${api.url}/audit/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(response.status).toBe(404);
  });

  it('after a superuser edits an event row: verify names the position, rebuild the table, key and position', async () => {
    const victim = (await store.readStream('subsidy-cycle-2025Q3:funding:411002'))[0]!;
    await testDb.db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      await sql`update events set data = jsonb_set(data::jsonb, '{amountFen}', '20000')::json where position = ${victim.position}`.execute(
        conn,
      );
      await sql`set session_replication_role = origin`.execute(conn);
    });
    expect(await (await get('/audit/verify')).json()).toMatchObject({ ok: false, position: victim.position });
    const report = (await (await get('/audit/rebuild')).json()) as {
      ok: boolean;
      differences: { table: string; keys: string[] }[];
      chain: { position: string };
    };
    expect(report.ok).toBe(false);
    expect(report.differences[0]).toMatchObject({
      table: 'funding_requests',
      keys: [
        'live    cycle_id=subsidy-cycle-2025Q3, jurisdiction=411002',
        'rebuilt cycle_id=subsidy-cycle-2025Q3, jurisdiction=411002',
      ],
    });
    expect(report.chain.position).toBe(victim.position);
    const lines = (await (await get('/audit/events')).text()).trim().split('\n');
    expect(checkExport(lines).mismatches).toEqual([{ line: 1, position: victim.position }]);
  });
});
