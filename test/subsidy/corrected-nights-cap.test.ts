import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rebuildAndCompare } from '../../app/audit/rebuild';
import { allProjections } from '../../app/projections';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import * as correctedNightsMigration from '../../platform/db/migrations/0011_corrected_nights';
import * as eventsCanonicalTextMigration from '../../platform/db/migrations/0013_events_canonical_text';
import { cycleIdFor } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, outcomeRows, runUnattendedCycle, type SubsidyTestWorld } from '../support/subsidy';

// Nights a correction removed (DOMAIN.md, corrections: recovered, record_corrected) were never hospital
// nights: they no longer use up the person's 60 nights of the year. Real cycles, hand-computed:
// one_child_parent, 100 yuan a night. Quarters 2018Q1 and 2018Q2 (a back-pay run of 2018Q2 is the later stay's cycle).
const taskQueue = 'test-corrected-nights-cap';
let world: SubsidyTestWorld;
let worker: RunningWorker;
const A = idFor('1950-07-01', 411);

beforeAll(async () => {
  world = await createSubsidyWorld('corrected_nights_cap');
  worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps: world.deps });
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.close();
});

describe('a correction that removes nights of a person at the yearly cap', () => {
  it('frees those nights for a later stay of the same year', async () => {
    const roster = path.join(world.workDir, 'roster.csv');
    writeFileSync(
      roster,
      [
        'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on',
        `${A},甲,M,1950-07-01,,411002,one_child_parent,ICBC,6222000041,2015-01-01,`,
      ].join('\n'),
    );
    await importRoster(world.deps, roster, 'test');

    // 1 January – 1 March 2018: 31 + 28 + 1 = 60 nights, the whole cap → 6,000.00.
    const first = await runUnattendedCycle(world, taskQueue, [`K1,${A},甲,h,2018-01-01,2018-03-02,`], {
      workflowId: cycleIdFor('2018Q1'),
      quarter: '2018Q1',
      runKind: 'regular',
    });
    expect(first.balanced).toBe(true);
    expect(await outcomeRows(world, cycleIdFor('2018Q1'))).toEqual([['K1', 'paid', null, 60, 600_000]]);

    // Corrected down to 1 January – 19 February (50 nights): 20 February – 1 March (10 nights) recovered, 1,000.00.
    const second = await runUnattendedCycle(world, taskQueue, [`K1,${A},甲,h,2018-01-01,2018-02-20,`], {
      workflowId: cycleIdFor('2018Q2'),
      quarter: '2018Q2',
      runKind: 'regular',
    });
    expect(second.balanced).toBe(true);
    expect(await outcomeRows(world, cycleIdFor('2018Q2'))).toEqual([['K1', 'not_eligible', 'already_paid', 0, 0]]);
    const corrected = await world.deps.db
      .selectFrom('corrected_nights')
      .select(['cycle_id', 'record_id', 'removed_nights', 'admission_date', 'discharge_date'])
      .execute();
    expect(corrected).toEqual([
      {
        cycle_id: cycleIdFor('2018Q2'),
        record_id: 'K1',
        removed_nights: [
          '2018-02-20',
          '2018-02-21',
          '2018-02-22',
          '2018-02-23',
          '2018-02-24',
          '2018-02-25',
          '2018-02-26',
          '2018-02-27',
          '2018-02-28',
          '2018-03-01',
        ],
        admission_date: '2018-01-01',
        discharge_date: '2018-02-20',
      },
    ]);
    let recovery: { amount_fen: unknown; reason: string } | undefined;
    for (let i = 0; i < 100 && !recovery; i++) {
      recovery = await world.deps.db.selectFrom('recoveries').select(['amount_fen', 'reason']).executeTakeFirst();
      if (!recovery) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovery?.reason).toBe('record_corrected');
    expect(Number(recovery!.amount_fen)).toBe(100_000);

    // A later stay, 1–21 May 2018 (20 nights): 50 nights used, so 10 are left → 1–10 May, 1,000.00.
    const backPayId = cycleIdFor('2018Q2', 'back_pay', 1);
    const third = await runUnattendedCycle(world, taskQueue, [`K2,${A},甲,h,2018-05-01,2018-05-21,`], {
      workflowId: backPayId,
      quarter: '2018Q2',
      runKind: 'back_pay',
    });
    expect(third.balanced).toBe(true);
    expect(await outcomeRows(world, backPayId)).toEqual([['K2', 'paid', null, 10, 100_000]]);
    const items = await world.deps.db
      .selectFrom('entitlements')
      .select(['amount_fen', 'night_dates'])
      .where('cycle_id', '=', backPayId)
      .execute();
    expect(items.map((i) => [Number(i.amount_fen), i.night_dates.length, i.night_dates[0], i.night_dates[9]])).toEqual([
      [100_000, 10, '2018-05-01', '2018-05-10'],
    ]);

    // The corrected record sent once more, as corrected: the same record again — nothing paid, nothing recovered twice.
    const againId = cycleIdFor('2018Q2', 'back_pay', 2);
    const fourth = await runUnattendedCycle(world, taskQueue, [`K1,${A},甲,h,2018-01-01,2018-02-20,`], {
      workflowId: againId,
      quarter: '2018Q2',
      runKind: 'back_pay',
    });
    expect(fourth.balanced).toBe(true);
    expect(await outcomeRows(world, againId)).toEqual([['K1', 'not_eligible', 'already_processed', 0, 0]]);
    expect(await world.deps.db.selectFrom('recoveries').select('recovery_id').execute()).toHaveLength(1);
    expect(await world.deps.db.selectFrom('corrected_nights').select('cycle_id').execute()).toHaveLength(1);

    // The auditors' rebuild reproduces the removed nights from the events.
    const rebuilt = await rebuildAndCompare(world.deps.db, world.deps.store, allProjections);
    expect(rebuilt.tables).toContain('corrected_nights');
    expect(rebuilt.differences).toEqual([]);
    // A database migrated after corrections were recorded gets their nights from the events (as it
    // was then: 0011 ran before the events' data became text in 0013).
    const before = await world.deps.db.selectFrom('corrected_nights').selectAll().execute();
    const db = world.deps.db as Kysely<unknown>;
    await eventsCanonicalTextMigration.down(db);
    await correctedNightsMigration.down(db);
    await correctedNightsMigration.up(db);
    await eventsCanonicalTextMigration.up(db);
    expect(await world.deps.db.selectFrom('corrected_nights').selectAll().execute()).toEqual(before);

    const recoveryId = (await world.deps.db.selectFrom('recoveries').select('recovery_id').executeTakeFirstOrThrow())
      .recovery_id;
    await world.client.workflow.getHandle(recoveryId).terminate('test over');
  }, 240_000);
});
