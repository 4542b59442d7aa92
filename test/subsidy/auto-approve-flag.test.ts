import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { issueToken } from '../../platform/security/tokens';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// `?autoApprove=false` must leave the cycle waiting for its counties: nothing approved, nothing paid.
const secret = new Uint8Array(32).fill(11);
const quarter = '2022Q3';
const cycleId = `subsidy-cycle-${quarter}`;
const taskQueue = 'test-auto-approve-flag';
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: FastifyInstance;
const person = { id: idFor('1950-03-04', 501), jurisdiction: '411002' };

beforeAll(async () => {
  world = await createSubsidyWorld('auto_approve_flag');
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
  mkdirSync(world.workDir, { recursive: true });
  const file = path.join(world.workDir, 'roster.csv');
  writeFileSync(
    file,
    `id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on\n${person.id},张三,M,1950-03-04,,${person.jurisdiction},one_child_parent,ICBC,6222020200001234567,2020-01-01,\n`,
  );
  await importRoster(world.deps, file, 'test');
}, 120_000);
afterAll(async () => {
  await world?.client.workflow
    .getHandle(cycleId)
    .terminate('test over')
    .catch(() => undefined);
  await api?.close();
  await worker?.shutdown();
  await world?.close();
});

describe('autoApprove query flag', () => {
  it('autoApprove=false leaves the cycle waiting in county review, with nothing approved or paid', async () => {
    const token = await issueToken(secret, { subject: 'city', role: 'city_health_commission' });
    const extract = `record_id,id_number,name,hospital,admission_date,discharge_date,exclusion\nR1,${person.id},张三,许昌市中心医院,2022-07-04,2022-07-11,\n`;
    const response = await api.inject({
      method: 'POST',
      url: `/subsidy/cycles/${quarter}/extract?autoApprove=false`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: extract,
    });
    expect(response.statusCode).toBe(202);
    const review = world.client.workflow.getHandle(`${cycleId}:review:${person.jurisdiction}`);
    const deadline = Date.now() + 60_000;
    let progress: { items: number; undecided: number; submitted: boolean } | undefined;
    while (Date.now() < deadline) {
      progress = await review
        .query<{ items: number; undecided: number; submitted: boolean }>('reviewProgress')
        .catch(() => undefined);
      if (progress) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(progress).toMatchObject({ items: 1, undecided: 1, submitted: false });
    // Give an auto-approval every chance to happen: it must not.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await review.query('reviewProgress')).toMatchObject({ undecided: 1, submitted: false });
    const rows = await world.deps.db
      .selectFrom('entitlements')
      .select(['review_status', 'payment_status'])
      .where('cycle_id', '=', cycleId)
      .execute();
    expect(rows).toEqual([{ review_status: 'pending', payment_status: 'not_instructed' }]);
    const ledger = (await (await fetch(`${world.bankUrl}/admin/ledger`)).json()) as { entries: unknown[] };
    expect(ledger.entries).toEqual([]);
    expect((await world.client.workflow.getHandle(cycleId).describe()).status.name).toBe('RUNNING');
  }, 120_000);
});
