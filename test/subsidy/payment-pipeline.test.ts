import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instructPayments } from '../../subsidy/activities/payment';
import { streams } from '../../subsidy/contracts/events';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// A county's payment run in several bank batches (1,000 each), on the real database and bank simulator:
// every batch is sent once, with the content frozen with its intent, and a bank that settles at once is
// followed while later batches are still being sent, so little is left to poll at the end.
const cycleId = 'subsidy-cycle-2025Q3';
const jurisdiction = '411002';
const PAYMENTS = 5_500;
let world: SubsidyTestWorld;

const personRef = (i: number) => `pipeline-${String(i).padStart(5, '0')}`;
const paymentId = (i: number) => `${cycleId}:${jurisdiction}:${String(i).padStart(5, '0')}`;

beforeAll(async () => {
  world = await createSubsidyWorld('payment_pipeline', { settlementDelayMs: 0 });
  await world.deps.vault.putMany(
    Array.from({ length: PAYMENTS }, (_, i) => ({
      personRef: personRef(i),
      secrets: {
        idNumber: `41100219500101${String(i).padStart(4, '0')}`,
        name: `受益人${i}`,
        bankCode: 'ICBC',
        accountNo: `62220202${String(10_000_000 + i).padStart(11, '0')}`,
      },
    })),
  );
  const seq = Array.from({ length: PAYMENTS }, (_, i) => i + 1);
  await sql`
    insert into entitlements (payment_id, cycle_id, jurisdiction, seq, person_ref, category, kind, nights, amount_fen,
                              city_share_fen, county_share_fen, record_ids, night_dates, policy_version, review_status)
    select ${cycleId} || ':' || ${jurisdiction} || ':' || lpad((s - 1)::text, 5, '0'), ${cycleId}, ${jurisdiction}, s,
           'pipeline-' || lpad((s - 1)::text, 5, '0'), 'only_child', 'regular', 1, 3000 + s, 1500, 1500 + s,
           array['R' || s], array['2025-07-01'::date], 'v1', 'approved'
      from unnest(${seq}::int[]) as s`.execute(world.deps.db);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe('a payment run of several bank batches', () => {
  it('sends each payment once with its frozen content and follows settlement while later batches are sent', async () => {
    const result = await instructPayments(world.deps, { cycleId, jurisdiction });
    expect(result).toMatchObject({ instructed: PAYMENTS, pending: 0, settled: PAYMENTS, held: 0 });

    // The bank received each attempt once, for the frozen amount and account.
    const keys = Array.from({ length: PAYMENTS }, (_, i) => `${paymentId(i)}#1`);
    const atBank = [];
    for (let i = 0; i < PAYMENTS; i += 1_000) {
      const answer = await world.deps.bank.inquire(keys.slice(i, i + 1_000));
      expect(answer.missing).toEqual([]);
      atBank.push(...answer.payments);
    }
    expect(atBank).toHaveLength(PAYMENTS);
    const byKey = new Map(atBank.map((p) => [p.idempotencyKey, p]));
    expect(byKey.get(`${paymentId(0)}#1`)?.amountFen).toBe(3001);
    expect(byKey.get(`${paymentId(PAYMENTS - 1)}#1`)?.amountFen).toBe(3000 + PAYMENTS);

    // Settlements were recorded batch by batch, the first ones while later batches were still being sent
    // (the first batch's settlement is asked after once the second is sent; the last four sends come after).
    const events = await world.deps.store.readStream(streams.payments(cycleId, jurisdiction));
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'PaymentsInstructed')).toHaveLength(6);
    const settledEvents = events.filter((e) => e.type === 'PaymentsSettled');
    expect(settledEvents.length).toBeGreaterThanOrEqual(3);
    const settledIds = settledEvents.flatMap((e) => (e.data as { items: { paymentId: string }[] }).items);
    expect(new Set(settledIds.map((i) => i.paymentId)).size).toBe(PAYMENTS);
    expect(settledIds).toHaveLength(PAYMENTS);
    const firstSettled = types.indexOf('PaymentsSettled');
    expect(firstSettled).toBeLessThan(types.lastIndexOf('PaymentsAccepted'));

    const statuses = await world.deps.db
      .selectFrom('entitlements')
      .select(['payment_status', sql<string>`count(*)`.as('n')])
      .where('cycle_id', '=', cycleId)
      .groupBy('payment_status')
      .execute();
    expect(statuses).toEqual([{ payment_status: 'settled', n: String(PAYMENTS) }]);

    // A second run (a retry of the activity) finds nothing to instruct and sends nothing again.
    const again = await instructPayments(world.deps, { cycleId, jurisdiction });
    expect(again).toMatchObject({ instructed: 0, pending: 0, settled: PAYMENTS });
    expect((await world.deps.store.readStream(streams.payments(cycleId, jurisdiction))).length).toBe(events.length);
  }, 120_000);
});

describe('more payment runs at once than the pool has connections', () => {
  it('all finish: freezing reads the vault through its own transaction, not a second connection', async () => {
    // The test pool has 5 connections. Each run freezes inside a transaction; when it also asked the pool
    // for the vault, 5 runs holding 5 transactions waited for a sixth connection for ever.
    const runs = 7;
    const perRun = 300;
    const otherCycle = 'subsidy-cycle-2025Q4';
    await sql`
      insert into entitlements (payment_id, cycle_id, jurisdiction, seq, person_ref, category, kind, nights, amount_fen,
                                city_share_fen, county_share_fen, record_ids, night_dates, policy_version, review_status)
      select ${otherCycle} || ':' || j || ':' || s, ${otherCycle}, j, s,
             'pipeline-' || lpad(((j::int - 411010) * ${perRun} + s - 1)::text, 5, '0'), 'only_child', 'regular', 1, 3000, 1500, 1500,
             array['R' || s], array['2025-10-01'::date], 'v1', 'approved'
        from generate_series(411011, ${411010 + runs}) as g(jn) cross join lateral (select jn::text as j) as jj
       cross join generate_series(1, ${perRun}) as s`.execute(world.deps.db);
    const results = await Promise.race([
      Promise.all(
        Array.from({ length: runs }, (_, k) =>
          instructPayments(world.deps, { cycleId: otherCycle, jurisdiction: String(411011 + k) }),
        ),
      ),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('payment runs hung on the pool')), 60_000)),
    ]);
    expect(results.map((r) => r.instructed)).toEqual(Array(runs).fill(perRun));
  }, 90_000);
});
