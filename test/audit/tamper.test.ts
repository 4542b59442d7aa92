import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildAndCompare } from '../../app/audit/rebuild';
import { allProjections } from '../../app/projections';
import { EventStore, verifyChain } from '../../platform/eventstore';
import { subsidyEvent } from '../../subsidy/context';
import { createTestDatabase, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
let store: EventStore;
const metadata = { actor: 'test:audit' };

beforeAll(async () => {
  testDb = await createTestDatabase('audit');
  store = new EventStore(testDb.db, allProjections);
  const cycleId = 'subsidy-cycle-2025Q3';
  for (const [jurisdiction, amountFen] of [
    ['411002', 300_000],
    ['411003', 150_050],
  ] as const) {
    const cityShareFen = Math.floor((amountFen * 40 + 50) / 100);
    await store.append(
      `${cycleId}:funding:${jurisdiction}`,
      [
        subsidyEvent(
          'FundingRequested',
          { cycleId, jurisdiction, payments: 3, amountFen, cityShareFen, countyShareFen: amountFen - cityShareFen },
          jurisdiction,
        ),
      ],
      { metadata },
    );
  }
});
afterAll(() => testDb.drop());

async function asSuperuser(statement: ReturnType<typeof sql>): Promise<void> {
  await testDb.db.connection().execute(async (conn) => {
    await sql`set session_replication_role = replica`.execute(conn);
    await statement.execute(conn);
    await sql`set session_replication_role = origin`.execute(conn);
  });
}

describe('audit', () => {
  it('an untouched store verifies, and its projections rebuild equal', async () => {
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 2 });
    const report = await rebuildAndCompare(testDb.db, store, allProjections);
    expect(report.events).toBe(2);
    expect(report.differences).toEqual([]);
  });

  it('a query-table row edited behind the events is found by rebuild', async () => {
    await sql`update funding_requests set amount_fen = amount_fen + 100 where jurisdiction = '411003'`.execute(
      testDb.db,
    );
    const report = await rebuildAndCompare(testDb.db, store, allProjections);
    expect(report.differences).toMatchObject([{ table: 'funding_requests', onlyLive: 1, onlyRebuilt: 1 }]);
    await sql`update funding_requests set amount_fen = amount_fen - 100 where jurisdiction = '411003'`.execute(
      testDb.db,
    );
  });

  it('an event row altered by a superuser is found by verify (naming its position) and by rebuild', async () => {
    const victim = (await store.readStream('subsidy-cycle-2025Q3:funding:411002'))[0]!;
    await asSuperuser(
      sql`update events set data = jsonb_set(data::jsonb, '{amountFen}', '999999')::json where position = ${victim.position}`,
    );
    const verdict = await verifyChain(store);
    expect(verdict).toMatchObject({ ok: false, position: victim.position });
    const report = await rebuildAndCompare(testDb.db, store, allProjections);
    expect(report.differences.map((d) => d.table)).toEqual(['funding_requests']);
  });
});
