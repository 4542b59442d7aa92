import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { subsidyCycleWorkflow } from '../../app/workflows';
import { issueToken } from '../../platform/security/tokens';
import { storeUpload } from '../../subsidy/adapters/uploads';
import type { CycleSummary } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// The annual roster (第六条) and roster conflicts through the real cycle on the embedded stack,
// with hand-computed figures (one_child_parent, 100 yuan a night, everyone born 1950: over 60).
const taskQueue = 'test-roster-rules';
const secret = new Uint8Array(32).fill(11);
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: FastifyInstance;
let dir: string;

const HEADER =
  'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on';
const P = {
  A: { id: idFor('1950-01-01', 201), name: '甲' },
  B: { id: idFor('1950-01-02', 202), name: '乙' },
  C: { id: idFor('1950-01-03', 203, '411003'), name: '丙' },
  D: { id: idFor('1950-01-04', 204), name: '丁' },
};
const line = (p: { id: string; name: string }, jurisdiction: string, account: string) =>
  `${p.id},${p.name},M,${p.id.slice(6, 10)}-${p.id.slice(10, 12)}-${p.id.slice(12, 14)},,${jurisdiction},one_child_parent,ICBC,${account},2020-01-01,`;
const file = (name: string, lines: string[]) => {
  const f = path.join(dir, name);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
};

beforeAll(async () => {
  world = await createSubsidyWorld('roster_rules');
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
  dir = path.join(world.workDir, 'input');
  mkdirSync(dir, { recursive: true });
});
afterAll(async () => {
  await api?.close();
  await worker?.shutdown();
  await world?.close();
});

describe('annual roster and roster conflicts (DOMAIN.md decisions)', () => {
  it('exits the people its jurisdictions leave out on 1 January, refuses both lines of a conflict, and pays the rest', async () => {
    // Version 1, an update: A, B, D of 魏都区 411002; C of 建安区 411003.
    const v1 = await importRoster(
      world.deps,
      file('update.csv', [
        HEADER,
        line(P.A, '411002', '6222000001'),
        line(P.B, '411002', '6222000002'),
        line(P.C, '411003', '6222000003'),
        line(P.D, '411002', '6222000004'),
      ]),
      'test',
    );
    expect(v1).toMatchObject({ kind: 'update', entries: 4, conflicts: [], annualExits: [] });

    // The annual roster of 2026 names 411002 (and 禹州市 411081 through D's second line): B is missing and exits
    // on 2026-01-01; A's identical repeat (line 3) is one line; D on lines 4 and 5 differs → conflict; C (411003) untouched.
    const annual = await importRoster(
      world.deps,
      file('annual-2026.csv', [
        HEADER,
        line(P.A, '411002', '6222000001'),
        line(P.A, '411002', '6222000001'),
        line(P.D, '411002', '6222000004'),
        line(P.D, '411081', '6222000004'),
      ]),
      'test',
      { kind: 'annual', year: 2026 },
    );
    expect(annual).toMatchObject({ kind: 'annual', entries: 1, quarantined: [] });
    expect(annual.conflicts).toEqual([
      { personRef: world.deps.vault.personRef(P.D.id), lines: [4, 5], jurisdictions: ['411002', '411081'] },
    ]);
    expect(annual.annualExits).toEqual([
      { personRef: world.deps.vault.personRef(P.B.id), jurisdiction: '411002', exitedOn: '2026-01-01' },
    ]);

    const extract = file('extract.csv', [
      'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion',
      `R1,${P.A.id},甲,h,2026-01-10,2026-01-15,`, // 5 nights (10–14 Jan) → 500.00
      `R2,${P.B.id},乙,h,2026-01-10,2026-01-13,`, // after B's exit on 1 January → not_enrolled
      `R3,${P.B.id},乙,h,2025-12-20,2025-12-23,`, // 3 nights before the exit still count: back-pay 300.00
      `R4,${P.D.id},丁,h,2026-02-01,2026-02-03,`, // roster conflict → not paid
      `R5,${P.C.id},丙,h,2026-03-01,2026-03-02,`, // 1 night → 100.00
    ]);
    const upload = await storeUpload(world.deps, extract);
    const cycleId = `roster-rules-2026Q1-${Date.now()}`;
    const summary = (await world.client.workflow.execute(subsidyCycleWorkflow, {
      taskQueue,
      workflowId: cycleId,
      args: [
        {
          quarter: '2026Q1',
          extractHash: upload.hash,
          autoApprove: true,
          timing: { pollInterval: 200, maxPollInterval: 1_000 },
        },
      ],
    })) as CycleSummary;
    expect(summary.rows).toMatchObject({ total: 5, paid: 3, notEligible: 2, excluded: 0, quarantined: 0 });

    const rows = await world.deps.db
      .selectFrom('row_outcomes')
      .select(['record_id', 'outcome', 'reason', 'nights', 'amount_fen'])
      .where('cycle_id', '=', cycleId)
      .orderBy('record_id')
      .execute();
    expect(rows.map((r) => [r.record_id, r.outcome, r.reason, r.nights, Number(r.amount_fen)])).toEqual([
      ['R1', 'paid', null, 5, 50_000],
      ['R2', 'not_eligible', 'not_enrolled', 0, 0],
      ['R3', 'paid', null, 3, 30_000],
      ['R4', 'not_eligible', 'roster_conflict', 0, 0],
      ['R5', 'paid', null, 1, 10_000],
    ]);
    const items = await world.deps.db
      .selectFrom('entitlements')
      .select(['jurisdiction', 'kind', 'amount_fen', 'city_share_fen', 'county_share_fen'])
      .where('cycle_id', '=', cycleId)
      .orderBy('amount_fen')
      .execute();
    expect(
      items.map((i) => [
        i.jurisdiction,
        i.kind,
        Number(i.amount_fen),
        Number(i.city_share_fen),
        Number(i.county_share_fen),
      ]),
    ).toEqual([
      ['411003', 'regular', 10_000, 4_000, 6_000],
      ['411002', 'back_pay', 30_000, 12_000, 18_000],
      ['411002', 'regular', 50_000, 20_000, 30_000],
    ]);

    // The county sees the exits as a list, and the open conflict with both line numbers.
    const reviewer = await issueToken(secret, { subject: 'r', role: 'county_reviewer', jurisdiction: '411002' });
    const exits = await api.inject({
      method: 'GET',
      url: '/subsidy/rosters/exits/411002?year=2026',
      headers: { authorization: `Bearer ${reviewer}` },
    });
    expect(exits.statusCode).toBe(200);
    expect(exits.json()).toMatchObject({
      total: 1,
      exits: [{ person: { name: '乙' }, exitedOn: '2026-01-01', reason: 'not_in_annual_roster', year: 2026 }],
    });
    expect(
      (
        await api.inject({
          method: 'GET',
          url: '/subsidy/rosters/exits/411003',
          headers: { authorization: `Bearer ${reviewer}` },
        })
      ).statusCode,
    ).toBe(403);
    const conflicts = await api.inject({
      method: 'GET',
      url: '/subsidy/rosters/conflicts',
      headers: { authorization: `Bearer ${reviewer}` },
    });
    expect(conflicts.json()).toMatchObject({
      total: 1,
      conflicts: [
        { person: { name: '丁' }, lines: [4, 5], jurisdictions: ['411002', '411081'], reason: 'roster_conflict' },
      ],
    });

    // An update with D on one line resolves the conflict; an update never exits anyone.
    const fix = await importRoster(world.deps, file('fix.csv', [HEADER, line(P.D, '411002', '6222000004')]), 'test');
    expect(fix).toMatchObject({ kind: 'update', changed: 1, conflicts: [], annualExits: [] });
    const open = await world.deps.db
      .selectFrom('roster_conflicts')
      .select('person_ref')
      .where('resolved_version', 'is', null)
      .execute();
    expect(open).toEqual([]);
  }, 120_000);
});
