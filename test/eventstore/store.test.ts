import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  EventStore,
  eventIdFor,
  foldEvents,
  IdempotencyConflictError,
  type NewEvent,
  verifyChain,
} from '../../platform/eventstore';
import { createTestDatabase, type TestDatabase } from '../support/database';

const metadata = { actor: 'test:eventstore' };
let testDb: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  testDb = await createTestDatabase('eventstore');
  store = new EventStore(testDb.db);
});
afterAll(() => testDb.drop());

function counted(stream: string, n: number, amount: number): NewEvent {
  return { eventId: eventIdFor(stream, n), type: 'Counted', data: { n, amountFen: amount } };
}

describe('append and read', () => {
  it('numbers a stream from 1 and reads it back in order', async () => {
    const result = await store.append('acct-1', [counted('acct-1', 1, 100), counted('acct-1', 2, 250)], {
      expectedVersion: 'no_stream',
      metadata,
    });
    expect(result.appended).toBe(true);
    expect(result.version).toBe(2);
    const events = await store.readStream('acct-1');
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(events.map((e) => e.data)).toEqual([
      { n: 1, amountFen: 100 },
      { n: 2, amountFen: 250 },
    ]);
    expect(events[0]!.metadata).toEqual(metadata);
    const total = foldEvents(events, (sum: number, e) => sum + Number(e.data.amountFen), 0);
    expect(total).toBe(350);
  });

  it('refuses a writer whose expected version is stale, even when two race', async () => {
    await store.append('race', [counted('race', 1, 1)], { expectedVersion: 'no_stream', metadata });
    const attempts = await Promise.allSettled([
      store.append('race', [counted('race', 2, 1)], { expectedVersion: 1, metadata }),
      store.append('race', [counted('race', 3, 1)], { expectedVersion: 1, metadata }),
    ]);
    const rejected = attempts.filter((a) => a.status === 'rejected');
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(await store.version('race')).toBe(2);
    await expect(
      store.append('race', [counted('race', 9, 1)], { expectedVersion: 'no_stream', metadata }),
    ).rejects.toThrow(ConcurrencyError);
  });

  it('appends the same event ids only once, so an activity retry is harmless', async () => {
    const batch = [counted('retry', 1, 10), counted('retry', 2, 20)];
    const first = await store.append('retry', batch, { expectedVersion: 'no_stream', metadata });
    const again = await store.append('retry', batch, { expectedVersion: 'no_stream', metadata });
    expect(first.appended).toBe(true);
    expect(again.appended).toBe(false);
    expect(again.events.map((e) => e.position)).toEqual(first.events.map((e) => e.position));
    expect(await store.readStream('retry')).toHaveLength(2);
  });

  it('rejects a batch that repeats only some stored ids', async () => {
    await expect(
      store.append('retry', [counted('retry', 2, 20), counted('retry', 3, 30)], { metadata }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(await store.readStream('retry')).toHaveLength(2);
  });

  it('reads everything in global order across pages', async () => {
    const all = [];
    for await (const event of store.readAll({ pageSize: 2 })) all.push(event);
    const positions = all.map((e) => BigInt(e.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(all.length).toBeGreaterThanOrEqual(6);
  });
});

describe('tamper evidence', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE on events', async () => {
    await expect(sql`update events set type = 'Forged'`.execute(testDb.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from events`.execute(testDb.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate events`.execute(testDb.db)).rejects.toThrow(/append-only/);
  });

  it('verifies an intact chain, then names the position of a row a superuser altered', async () => {
    const before = await verifyChain(store);
    expect(before.ok).toBe(true);
    const victim = (await store.readStream('acct-1'))[1]!;
    // A superuser can bypass the triggers; the hash chain still gives the edit away.
    await testDb.db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      await sql`update events set data = jsonb_set(data::jsonb, '{amountFen}', '99900')::json where position = ${victim.position}`.execute(
        conn,
      );
      await sql`set session_replication_role = origin`.execute(conn);
    });
    const after = await verifyChain(store);
    expect(after).toMatchObject({ ok: false, position: victim.position });
    if (!after.ok) expect(after.reason).toMatch(/altered/);
  });
});
