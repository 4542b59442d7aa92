import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import type { Role } from '../../platform/security/roles';
import { issueToken } from '../../platform/security/tokens';
import { type CycleSummary, decideItemsUpdate } from '../../subsidy/contracts/definitions';
import { paymentRows, reportRows } from '../../subsidy/services/reports';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { recordHistory } from '../support/histories';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// A cycle run with people in the loop, through the HTTP API, on real Temporal, PostgreSQL and the
// bank-gateway simulator: reject, exclude, self-application, approve the rest, submit; a reviewer
// of another county is refused; a payment to a closed account is held, re-issued and paid once.
const taskQueue = 'test-cycle-review';
const quarter = '2025Q3';
const cycleId = `subsidy-cycle-${quarter}`;
const secret = new Uint8Array(32).fill(7);
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: FastifyInstance;

const people = Array.from({ length: 5 }, (_, i) => ({
  id: idFor(`195${i}-0${i + 1}-1${i}`, 100 + i),
  jurisdiction: i < 4 ? '411002' : '411003',
  account: `62220202000012345${i}`,
}));
const closedAccount = people[3]!.account;

async function token(role: Role, jurisdiction?: string): Promise<string> {
  return issueToken(secret, {
    subject: `${role}-${jurisdiction ?? 'city'}`,
    role,
    ...(jurisdiction ? { jurisdiction } : {}),
  });
}

async function call(
  method: 'GET' | 'POST',
  url: string,
  auth: string | undefined,
  body?: unknown,
  contentType = 'application/json',
) {
  const response = await api.inject({
    method,
    url,
    headers: {
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      ...(body !== undefined ? { 'content-type': contentType } : {}),
    },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  world = await createSubsidyWorld('cycle_review');
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

  const dir = path.join(world.workDir, 'input');
  mkdirSync(dir, { recursive: true });
  const roster = [
    'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on',
    ...people.map(
      (p, i) =>
        `${p.id},人${i},M,${p.id.slice(6, 10)}-${p.id.slice(10, 12)}-${p.id.slice(12, 14)},,${p.jurisdiction},one_child_parent,ICBC,${p.account},2020-01-01,`,
    ),
  ].join('\n');
  writeFileSync(path.join(dir, 'roster.csv'), `${roster}\n`);
  await importRoster(world.deps, path.join(dir, 'roster.csv'), 'test');
  await fetch(`${world.bankUrl}/admin/accounts/${closedAccount}/close`, { method: 'POST' });
});
afterAll(async () => {
  await api?.close();
  await worker?.shutdown();
  await world?.close();
});

describe('a quarterly cycle with county review through the API', () => {
  it('runs from upload to reconciliation with every human step, and pays once after a re-issue', async () => {
    const extract = [
      'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion',
      ...people.map((p, i) => `R${i + 1},${p.id},人${i},许昌市中心医院,2025-07-0${i + 1},2025-07-1${i},`),
    ].join('\n');
    const city = await token('city_health_commission');
    expect((await call('POST', `/subsidy/cycles/${quarter}/extract`, undefined, extract, 'text/csv')).status).toBe(401);
    const uploaded = await call('POST', `/subsidy/cycles/${quarter}/extract`, city, extract, 'text/csv');
    expect(uploaded.status).toBe(202);

    // A quarter without a cycle is an unknown id (404), not a server fault (500).
    const unknown = await call('GET', '/subsidy/cycles/2019Q1', city);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found' });

    const reviewer = await token('county_reviewer', '411002');
    const other = await token('county_reviewer', '411003');
    const progress = await eventually(async () => {
      const r = await call('GET', `/subsidy/cycles/${quarter}/review/411002`, reviewer);
      return r.status === 200 ? r.body : undefined;
    });
    expect(progress).toMatchObject({ items: 4, undecided: 4, submitted: false });
    const items = (await call('GET', `/subsidy/cycles/${quarter}/review/411002/items`, reviewer)).body.items as {
      seq: number;
      records: { recordId: string; explanation: string[] }[];
      person: { idNumber: string };
    }[];
    expect(items[0]!.records[0]!.explanation[0]).toMatch(/计入 \d+ 天 × 100.00 元/);
    expect(items[0]!.person.idNumber).toMatch(/^4110\d{10}[\dX]{4}$/);
    const seqOf = (recordId: string) => items.find((i) => i.records.some((r) => r.recordId === recordId))!.seq;

    // Another county's reviewer is refused by the API, and by the workflow's validator too.
    expect(
      (
        await call('POST', `/subsidy/cycles/${quarter}/review/411002/decisions`, other, {
          decision: 'approve',
          selection: { scope: 'all_undecided' },
        })
      ).status,
    ).toBe(403);
    await expect(
      world.client.workflow.getHandle(`${cycleId}:review:411002`).executeUpdate(decideItemsUpdate, {
        args: [
          {
            decision: 'approve',
            selection: { scope: 'all_undecided' },
            actor: { subject: 'x', role: 'county_reviewer', jurisdiction: '411003' },
          },
        ],
      }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    // An auditor reads but never decides.
    expect(
      (
        await call('POST', `/subsidy/cycles/${quarter}/review/411002/decisions`, await token('auditor'), {
          decision: 'approve',
          selection: { scope: 'all_undecided' },
        })
      ).status,
    ).toBe(403);

    const decide = (body: unknown) =>
      call('POST', `/subsidy/cycles/${quarter}/review/411002/decisions`, reviewer, body);
    expect(
      (
        await decide({
          decision: 'reject',
          selection: { scope: 'items', seqs: [seqOf('R1')] },
          reason: 'record belongs to another person',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await decide({
          decision: 'exclude',
          selection: { scope: 'items', seqs: [seqOf('R2')] },
          exclusionCode: 'traffic_insured',
        })
      ).status,
    ).toBe(200);
    expect((await decide({ decision: 'approve', selection: { scope: 'items', seqs: [9] } })).status).toBe(409);
    expect((await call('POST', `/subsidy/cycles/${quarter}/review/411002/submit`, reviewer)).status).toBe(409);

    const self = await call('POST', `/subsidy/cycles/${quarter}/review/411002/self-applications`, reviewer, {
      recordId: 'SELF-1',
      idNumber: people[0]!.id,
      hospital: '许昌市人民医院',
      admissionDate: '2025-08-01',
      dischargeDate: '2025-08-04',
      documents: ['county-archive/2025/0815-住院证明.pdf'],
    });
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ seq: 5, items: 5 });

    const approved = await decide({ decision: 'approve', selection: { scope: 'all_undecided' } });
    expect(approved.body).toMatchObject({ approved: 3, rejected: 1, excluded: 1, undecided: 0 });
    expect((await call('POST', `/subsidy/cycles/${quarter}/review/411002/submit`, reviewer)).body).toMatchObject({
      submitted: true,
    });
    const late = await decide({
      decision: 'reject',
      selection: { scope: 'items', seqs: [seqOf('R3')] },
      reason: 'too late',
    });
    expect(late.status).toBe(409);
    // Specific: which review, closed when, and what to do instead (issue 13).
    expect(late.body.message).toMatch(/the review of 411002 for \d{4}Q\d was (submitted|closed)/);
    expect(late.body.message).not.toMatch(/closed or does not exist/);

    await eventually(async () =>
      (await call('GET', `/subsidy/cycles/${quarter}/review/411003`, other)).status === 200 ? true : undefined,
    );
    await call('POST', `/subsidy/cycles/${quarter}/review/411003/decisions`, other, {
      decision: 'approve',
      selection: { scope: 'all_undecided' },
    });
    await call('POST', `/subsidy/cycles/${quarter}/review/411003/submit`, other);

    // Finance confirms each county's funding request.
    const finance = await token('finance');
    for (const j of ['411002', '411003']) {
      await eventually(async () =>
        (await call('POST', `/subsidy/cycles/${quarter}/funding/${j}/confirm`, finance)).status === 200
          ? true
          : undefined,
      );
    }

    const summary = (await world.client.workflow.getHandle(cycleId).result()) as CycleSummary;
    expect(summary.balanced).toBe(true);
    const line = summary.reconciliation.find((l) => l.jurisdiction === '411002')!;
    expect(line).toMatchObject({ approved: 3, instructed: 3, settled: 2, held: 1 });

    // The held payment: correct the account, re-issue, paid once.
    const held = (await call('GET', `/subsidy/cycles/${quarter}/payments?status=held`, reviewer)).body.payments;
    expect(held).toHaveLength(1);
    expect(held[0].held_reason).toBe('account_closed');
    const reissued = await call('POST', `/subsidy/payments/${held[0].payment_id}/reissue`, reviewer, {
      bankCode: 'ICBC',
      accountNo: '6222020200009999999',
    });
    expect(reissued.body).toMatchObject({ status: 'settled' });
    const ledger = (await (await fetch(`${world.bankUrl}/admin/ledger`)).json()) as {
      entries: { idempotencyKey: string; status: string }[];
    };
    const attempts = ledger.entries.filter((e) => e.idempotencyKey.startsWith(`${held[0].payment_id}#`));
    expect(attempts.map((a) => a.status).sort()).toEqual(['failed', 'settled']);
    expect(ledger.entries.filter((e) => e.status === 'settled')).toHaveLength(4);

    // What the county decided shows in the report; only settled money is in the payments file.
    const report = await reportRows(world.deps, cycleId);
    expect(report.find((r) => r.record_id === 'R1')).toMatchObject({
      outcome: 'not_eligible',
      reason: 'rejected_by_county',
    });
    expect(report.find((r) => r.record_id === 'R2')).toMatchObject({ outcome: 'excluded', reason: 'traffic_insured' });
    expect(report.find((r) => r.record_id === 'SELF-1')).toMatchObject({ outcome: 'paid', nights: '3' });
    expect(await paymentRows(world.deps, cycleId)).toHaveLength(4);

    // Every decision is an attributable event.
    const decisions = await world.deps.store.readStream(`${cycleId}:review:411002`);
    expect(decisions.filter((e) => e.type === 'ReviewDecisionRecorded').map((e) => e.metadata.actor)).toEqual([
      'county_reviewer:county_reviewer-411002',
      'county_reviewer:county_reviewer-411002',
      'county_reviewer:county_reviewer-411002',
    ]);

    await recordHistory(world.client, cycleId, 'subsidy-cycle-with-review');
    await recordHistory(world.client, `${cycleId}:review:411002`, 'subsidy-county-review');
    await recordHistory(world.client, `${cycleId}:payment:411002`, 'subsidy-payment-run');
    // Recorded after the instructing activity began to follow a quick settlement (patch payment-quick-settlement).
    await recordHistory(world.client, `${cycleId}:payment:411002`, 'subsidy-payment-run-quick-settlement');
  }, 180_000);
});
