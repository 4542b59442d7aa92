import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { issueToken } from '../../platform/security/tokens';
import { cycleIdFor } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, outcomeRows, runUnattendedCycle, type SubsidyTestWorld } from '../support/subsidy';

// Corrections (DOMAIN.md): a paid record sent again with other content is computed again; only the
// difference is paid (back-pay); removed nights become a recovery (record_corrected); unchanged is
// already_processed. Two real cycles, hand-computed: one_child_parent, 100 yuan a night.
const taskQueue = 'test-corrections';
const secret = new Uint8Array(32).fill(17);
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: FastifyInstance;
const A = idFor('1950-06-01', 401);
const B = idFor('1950-06-02', 402);

beforeAll(async () => {
  world = await createSubsidyWorld('corrections');
  worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps: world.deps });
  api = await buildApi({
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

describe('a paid record sent again', () => {
  it('pays only the added nights as back-pay, recovers removed nights, and refuses an unchanged copy', async () => {
    const roster = path.join(world.workDir, 'roster.csv');
    writeFileSync(
      roster,
      [
        'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on',
        `${A},甲,M,1950-06-01,,411002,one_child_parent,ICBC,6222000021,2020-01-01,`,
        `${B},乙,M,1950-06-02,,411002,one_child_parent,ICBC,6222000022,2020-01-01,`,
      ].join('\n'),
    );
    await importRoster(world.deps, roster, 'test');

    const first = await runUnattendedCycle(
      world,
      taskQueue,
      [
        `C1,${A},甲,h,2020-07-01,2020-07-06,`, // 1–5 July: 500.00
        `C2,${B},乙,h,2020-08-01,2020-08-11,`, // 1–10 August: 1,000.00
        `C3,${A},甲,h,2020-09-01,2020-09-03,`, // 1–2 September: 200.00
      ],
      { quarter: '2020Q3' },
    );
    expect(first.balanced).toBe(true);
    expect(await outcomeRows(world, cycleIdFor('2020Q3'))).toEqual([
      ['C1', 'paid', null, 5, 50_000],
      ['C2', 'paid', null, 10, 100_000],
      ['C3', 'paid', null, 2, 20_000],
    ]);
    const bPayment = await world.deps.db
      .selectFrom('entitlements')
      .select('payment_id')
      .where('cycle_id', '=', cycleIdFor('2020Q3'))
      .where('amount_fen', '=', 100_000 as never)
      .executeTakeFirstOrThrow();

    const second = await runUnattendedCycle(
      world,
      taskQueue,
      [
        `C1,${A},甲,h,2020-07-01,2020-07-09,`, // corrected up: 1–8 July; 6, 7, 8 July are new → 300.00 back-pay
        `C2,${B},乙,h,2020-08-01,2020-08-05,`, // corrected down: 1–4 August; 5–10 August (6 nights) recovered → 600.00
        `C3,${A},甲,h,2020-09-01,2020-09-03,`, // unchanged → already_processed
        `D1,${A},甲,h,2020-10-10,2020-10-12,`, // new, regular: 200.00
      ],
      { quarter: '2020Q4' },
    );
    expect(second.balanced).toBe(true);
    expect(await outcomeRows(world, cycleIdFor('2020Q4'))).toEqual([
      ['C1', 'paid', null, 3, 30_000],
      ['C2', 'not_eligible', 'already_paid', 0, 0],
      ['C3', 'not_eligible', 'already_processed', 0, 0],
      ['D1', 'paid', null, 2, 20_000],
    ]);
    const items = await world.deps.db
      .selectFrom('entitlements')
      .select(['kind', 'amount_fen', 'night_dates'])
      .where('cycle_id', '=', cycleIdFor('2020Q4'))
      .orderBy('kind')
      .execute();
    expect(items.map((i) => [i.kind, Number(i.amount_fen), i.night_dates])).toEqual([
      ['back_pay', 30_000, ['2020-07-06', '2020-07-07', '2020-07-08']],
      ['regular', 20_000, ['2020-10-10', '2020-10-11']],
    ]);

    // The removed nights: a recovery through the recovery workflow, against the payment that paid them.
    let recovery: { payment_id: string; amount_fen: unknown; reason: string } | undefined;
    for (let i = 0; i < 100 && !recovery; i++) {
      recovery = await world.deps.db
        .selectFrom('recoveries')
        .select(['payment_id', 'amount_fen', 'reason'])
        .executeTakeFirst();
      if (!recovery) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovery).toMatchObject({ payment_id: bPayment.payment_id, reason: 'record_corrected' });
    expect(Number(recovery!.amount_fen)).toBe(60_000);

    // The reviewer sees the correction with old and new dates side by side.
    const reviewer = await issueToken(secret, { subject: 'r', role: 'county_reviewer', jurisdiction: '411002' });
    const page = (
      await api.inject({
        method: 'GET',
        url: '/subsidy/cycles/2020Q4/review/411002/items',
        headers: { authorization: `Bearer ${reviewer}` },
      })
    ).json();
    const corrected = page.items.find((i: any) => i.kind === 'back_pay').records[0];
    expect(corrected.correction).toEqual({
      before: { admissionDate: '2020-07-01', dischargeDate: '2020-07-06' },
      after: { admissionDate: '2020-07-01', dischargeDate: '2020-07-09' },
    });
    expect(corrected.explanation).toEqual([
      '更正记录：原 2020-07-01至2020-07-06，现 2020-07-01至2020-07-09',
      '2020-07-01至2020-07-05 不计：5 天已由以前周期支付（同一天只付一次）',
      '2020-07-06至2020-07-08 计入 3 天 × 100.00 元 = 300.00 元（独生子女父母，第四条）',
    ]);
    const recoveryId = (await world.deps.db.selectFrom('recoveries').select('recovery_id').executeTakeFirstOrThrow())
      .recovery_id;
    await world.client.workflow.getHandle(recoveryId).terminate('test over');
  }, 180_000);
});
