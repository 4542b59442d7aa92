import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { cycleIdFor } from '../../subsidy/contracts/definitions';
import { renderExplanation } from '../../subsidy/rules';
import { reportRows } from '../../subsidy/services/reports';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, outcomeRows, runUnattendedCycle, type SubsidyTestWorld } from '../support/subsidy';

// Carried-forward records (DOMAIN.md): a record discharged after its cycle's quarter is kept, owns its
// nights, and is computed by the cycle of its discharge quarter from the stored row, whether or not
// the bureau sends it again; a later copy is the same record. Two real cycles, hand-computed:
// one_child_parent, 100 yuan a night.
const taskQueue = 'test-carried-forward';
let world: SubsidyTestWorld;
let worker: RunningWorker;
const A = idFor('1950-06-03', 403);
const B = idFor('1950-06-04', 404);

beforeAll(async () => {
  world = await createSubsidyWorld('carried_forward');
  worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps: world.deps });
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.close();
});

describe('a record discharged after its cycle’s quarter', () => {
  it('is paid by the cycle of its discharge quarter from the stored row, once, and a later copy is the same record', async () => {
    const roster = path.join(world.workDir, 'roster.csv');
    writeFileSync(
      roster,
      [
        'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on',
        `${A},甲,M,1950-06-03,,411002,one_child_parent,ICBC,6222000031,2019-01-01,`,
        `${B},乙,M,1950-06-04,,411002,one_child_parent,ICBC,6222000032,2019-01-01,`,
      ].join('\n'),
    );
    await importRoster(world.deps, roster, 'test');

    const first = await runUnattendedCycle(
      world,
      taskQueue,
      [
        `F1,${A},甲,h,2020-03-25,2020-04-03,`, // discharged in Q2: kept for Q2 (25 March–2 April, 9 nights)
        `F2,${A},甲,h,2020-02-01,2020-02-03,`, // 1–2 February: 200.00
        `G1,${B},乙,h,2020-03-30,2020-04-02,`, // discharged in Q2, and sent again in Q2's extract
      ],
      { quarter: '2020Q1' },
    );
    expect(first.balanced).toBe(true);
    expect(await outcomeRows(world, cycleIdFor('2020Q1'))).toEqual([
      ['F1', 'not_eligible', 'discharged_after_quarter', 0, 0],
      ['F2', 'paid', null, 2, 20_000],
      ['G1', 'not_eligible', 'discharged_after_quarter', 0, 0],
    ]);

    // Q2's extract does not send F1 again; G1 comes again unchanged.
    const second = await runUnattendedCycle(
      world,
      taskQueue,
      [
        `H1,${A},甲,h,2020-05-01,2020-05-03,`, // 1–2 May: 200.00
        `G1,${B},乙,h,2020-03-30,2020-04-02,`, // 30 March–1 April: 3 nights, 300.00 — from this copy, once
      ],
      { quarter: '2020Q2' },
    );
    expect(second.balanced).toBe(true);
    expect(await outcomeRows(world, cycleIdFor('2020Q2'))).toEqual([
      ['H1', 'paid', null, 2, 20_000],
      ['G1', 'paid', null, 3, 30_000],
      ['F1', 'paid', null, 9, 90_000], // carried forward from Q1's line 2 (the header is line 1)
    ]);
    const items = await world.deps.db
      .selectFrom('entitlements')
      .select(['amount_fen', 'record_ids', 'kind', 'payment_status'])
      .where('cycle_id', '=', cycleIdFor('2020Q2'))
      .orderBy('amount_fen')
      .execute();
    expect(items.map((i) => [Number(i.amount_fen), i.record_ids, i.kind, i.payment_status])).toEqual([
      [30_000, ['G1'], 'regular', 'settled'],
      [110_000, ['F1', 'H1'], 'regular', 'settled'],
    ]);

    // The report says where the carried row came from, in Chinese, after the extract's own rows.
    const report = await reportRows(world.deps, cycleIdFor('2020Q2'));
    expect(report.map((r) => r.record_id)).toEqual(['H1', 'G1', 'F1']);
    expect(report[2]!.explanation).toMatch(/^结转记录：来自 2020Q1 医保数据第 2 行/);
    const stored = await world.deps.db
      .selectFrom('row_outcomes')
      .select('explanation')
      .where('cycle_id', '=', cycleIdFor('2020Q2'))
      .where('record_id', '=', 'F1')
      .executeTakeFirstOrThrow();
    expect(renderExplanation(stored.explanation as never, 'en')[0]).toBe(
      'carried forward: stored from line 2 of the 2020Q1 extract, computed by the cycle of its discharge quarter',
    );

    // The bureau corrects F1 down (25–29 March, 5 nights) in a later run: the carried record is the record paid, so the
    // 4 nights no longer covered (30 March–2 April) are recovered from the Q2 payment that paid them, 400.00.
    const paidBy = await world.deps.db
      .selectFrom('row_outcomes')
      .select('payment_id')
      .where('cycle_id', '=', cycleIdFor('2020Q2'))
      .where('record_id', '=', 'F1')
      .executeTakeFirstOrThrow();
    const backPayId = cycleIdFor('2020Q2', 'back_pay', 1);
    const third = await runUnattendedCycle(world, taskQueue, [`F1,${A},甲,h,2020-03-25,2020-03-30,`], {
      workflowId: backPayId,
      quarter: '2020Q2',
      runKind: 'back_pay',
    });
    expect(third.balanced).toBe(true);
    expect(await outcomeRows(world, backPayId)).toEqual([['F1', 'not_eligible', 'already_paid', 0, 0]]);
    let recovery: { payment_id: string; amount_fen: unknown; reason: string; recovery_id: string } | undefined;
    for (let i = 0; i < 100 && !recovery; i++) {
      recovery = await world.deps.db
        .selectFrom('recoveries')
        .select(['payment_id', 'amount_fen', 'reason', 'recovery_id'])
        .executeTakeFirst();
      if (!recovery) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovery).toMatchObject({ payment_id: paidBy.payment_id, reason: 'record_corrected' });
    expect(Number(recovery!.amount_fen)).toBe(40_000);
    await world.client.workflow.getHandle(recovery!.recovery_id).terminate('test over');
  }, 240_000);
});
