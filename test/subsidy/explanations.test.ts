import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { subsidyCycleWorkflow } from '../../app/workflows';
import { issueToken } from '../../platform/security/tokens';
import { storeUpload } from '../../subsidy/adapters/uploads';
import { cycleIdFor } from '../../subsidy/contracts/definitions';
import { reportRows } from '../../subsidy/services/reports';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// What a county reviewer reads, through the API of a real cycle: every row outcome with its Chinese
// explanation (not eligible, excluded, quarantined — an exact repeat and an unknown exclusion code),
// a paid item that shows the same person's overlapping excluded stay, yuan beside fen and totals.
const taskQueue = 'test-explanations';
const quarter = '2021Q1';
const cycleId = cycleIdFor(quarter);
const secret = new Uint8Array(32).fill(13);
let world: SubsidyTestWorld;
let worker: RunningWorker;
let api: FastifyInstance;

const A = idFor('1950-05-01', 301);
const B = idFor('1950-05-02', 302);

beforeAll(async () => {
  world = await createSubsidyWorld('explanations');
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

async function get(url: string, token: string, headers: Record<string, string> = {}) {
  const r = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: r.statusCode, body: r.statusCode === 200 ? r.json() : r.body };
}

describe('explanations for the county reviewer (Chinese by default)', () => {
  it('reads a not-eligible, an excluded and two quarantined rows, and a paid item with the overlapping excluded stay', async () => {
    const dir = path.join(world.workDir, 'input');
    mkdirSync(dir, { recursive: true });
    const roster = path.join(dir, 'roster.csv');
    writeFileSync(
      roster,
      [
        'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on',
        `${A},甲,M,1950-05-01,,411002,one_child_parent,ICBC,6222000011,2020-01-01,`,
        `${B},乙,M,1950-05-02,,411002,one_child_parent,ICBC,6222000012,2021-03-01,`,
      ].join('\n'),
    );
    await importRoster(world.deps, roster, 'test');
    const extract = path.join(dir, 'extract.csv');
    writeFileSync(
      extract,
      [
        'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion', // line 1
        `R1,${A},甲,h,2021-01-01,2021-01-04,`, // line 2: 1–3 July, 3 nights → 300.00
        `R2,${A},甲,h,2021-01-02,2021-01-10,traffic_insured`, // line 3: excluded (第七条), overlaps R1
        `R3,${B},乙,h,2021-02-01,2021-02-03,`, // line 4: B enrolled from 1 September → not_enrolled
        `R1,${A},甲,h,2021-01-01,2021-01-04,`, // line 5: exact repeat of line 2 → duplicate_record
        `R5,${B},乙,h,2021-02-10,2021-02-11,fell_off_ladder`, // line 6: unknown exclusion code → quarantined
      ].join('\n'),
    );
    const upload = await storeUpload(world.deps, extract);
    const handle = await world.client.workflow.start(subsidyCycleWorkflow, {
      taskQueue,
      workflowId: cycleId,
      args: [{ quarter, extractHash: upload.hash, timing: { pollInterval: 200, maxPollInterval: 1_000 } }],
    });
    try {
      const reviewer = await issueToken(secret, { subject: 'r', role: 'county_reviewer', jurisdiction: '411002' });
      const other = await issueToken(secret, { subject: 'o', role: 'county_reviewer', jurisdiction: '411003' });
      let all: { status: number; body: any } = { status: 0, body: undefined };
      for (let i = 0; i < 150 && !(all.status === 200 && all.body.total === 5); i++) {
        all = await get(`/subsidy/cycles/${quarter}/outcomes`, reviewer);
        await new Promise((r) => setTimeout(r, 200));
      }
      // Rows in = paid + not eligible + excluded + quarantined, every one in this county.
      expect(all.body.total).toBe(5);
      expect(all.body.byOutcome).toEqual({
        paid: { rows: 1, amountFen: 30_000, amountYuan: '300.00' },
        not_eligible: { rows: 1, amountFen: 0, amountYuan: '0.00' },
        excluded: { rows: 1, amountFen: 0, amountYuan: '0.00' },
        quarantined: { rows: 2, amountFen: 0, amountYuan: '0.00' },
      });
      expect((await get(`/subsidy/cycles/${quarter}/outcomes?jurisdiction=411002`, other)).status).toBe(403);

      const notEligible = (await get(`/subsidy/cycles/${quarter}/outcomes?outcome=not_eligible`, reviewer)).body;
      expect(notEligible.rows).toEqual([
        expect.objectContaining({
          lineNo: 4,
          recordId: 'R3',
          reason: 'not_enrolled',
          explanation: ['2021-02-01至2021-02-02 不计：尚未纳入扶助名单（2021-03-01 起纳入，第二条、第六条）'],
        }),
      ]);
      const excluded = (await get(`/subsidy/cycles/${quarter}/outcomes?outcome=excluded`, reviewer)).body;
      expect(excluded.rows[0]).toMatchObject({
        recordId: 'R2',
        reason: 'traffic_insured',
        explanation: ['不予支付：交通事故已由保险公司赔付（第七条，traffic_insured）'],
      });
      const quarantined = (await get(`/subsidy/cycles/${quarter}/outcomes?outcome=quarantined`, reviewer)).body;
      expect(quarantined.rows.map((r: any) => [r.lineNo, r.recordId, r.reason, r.jurisdiction])).toEqual([
        [5, 'R1', 'duplicate_record', '411002'],
        [6, 'R5', 'unknown_exclusion', '411002'],
      ]);
      expect(quarantined.rows[0].explanation).toEqual([
        '数据有误，已隔离：与同一文件中前一行完全重复（line 5: exact repeat of line 2）',
      ]);
      expect(quarantined.rows[1].explanation[0]).toMatch(
        /^数据有误，已隔离：不支付原因代码不在约定列表中（第七条），不作猜测（line 6: exclusion: "fell_off_ladder" is not one of/,
      );
      // Filters: by reason and by free text; English on request.
      expect((await get(`/subsidy/cycles/${quarter}/outcomes?reason=unknown_exclusion`, reviewer)).body.total).toBe(1);
      expect(
        (await get(`/subsidy/cycles/${quarter}/outcomes?q=fell_off`, reviewer)).body.rows.map((r: any) => r.recordId),
      ).toEqual(['R5']);
      const english = (
        await get(`/subsidy/cycles/${quarter}/outcomes?outcome=excluded`, reviewer, {
          'accept-language': 'en-US,en;q=0.9',
        })
      ).body;
      expect(english.rows[0].explanation).toEqual([
        'not paid: traffic accident already compensated by an insurer (第七条, traffic_insured)',
      ]);

      // The paid item: yuan beside fen, totals, and R2 over the same dates (probably the same injury).
      const items = (await get(`/subsidy/cycles/${quarter}/review/411002/items`, reviewer)).body;
      expect(items.totals.overall).toMatchObject({
        items: 1,
        amountFen: 30_000,
        amountYuan: '300.00',
        cityShareYuan: '120.00',
        countyShareYuan: '180.00',
      });
      expect(items.totals.page).toEqual(items.totals.overall);
      expect(items.items[0]).toMatchObject({ amountFen: 30_000, amountYuan: '300.00', reviewStatus: 'pending' });
      expect(items.items[0].records).toEqual([
        {
          recordId: 'R1',
          explanation: [
            '2021-01-01至2021-01-03 计入 3 天 × 100.00 元 = 300.00 元（独生子女父母，第四条）',
            '提示：同一人的记录 R2（2021-01-02至2021-01-10）与本次住院时间重叠且已按第七条不予支付（traffic_insured），可能是同一伤情，审核时请核实',
          ],
        },
      ]);
      expect(
        (await get(`/subsidy/cycles/${quarter}/review/411002/items?lang=en`, reviewer)).body.items[0].records[0]
          .explanation[0],
      ).toBe('2021-01-01..2021-01-03 counted: 3 nights × 100.00 yuan = 300.00 yuan (独生子女父母, 第四条)');

      // The reviewer excludes it with their own words: returned beside the code, and in report.csv's explanation.
      const decided = await api.inject({
        method: 'POST',
        url: `/subsidy/cycles/${quarter}/review/411002/decisions`,
        headers: { authorization: `Bearer ${reviewer}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          decision: 'exclude',
          selection: { scope: 'items', seqs: [1] },
          exclusionCode: 'traffic_insured',
          reason: '与R2为同一次交通事故',
        }),
      });
      expect(decided.statusCode).toBe(200);
      let excludedItem: any;
      for (let i = 0; i < 50 && !excludedItem; i++) {
        excludedItem = (await get(`/subsidy/cycles/${quarter}/review/411002/items?status=excluded`, reviewer)).body
          .items[0];
        if (!excludedItem) await new Promise((r) => setTimeout(r, 200));
      }
      expect(excludedItem).toMatchObject({ reviewReason: 'traffic_insured', reviewNote: '与R2为同一次交通事故' });
      const report = await reportRows(world.deps, cycleId);
      expect(report[0]).toMatchObject({ record_id: 'R1', outcome: 'excluded', reason: 'traffic_insured' });
      expect(report[0]!.explanation).toMatch(
        /^县区审核按第七条不予支付（traffic_insured）：与R2为同一次交通事故；2021-01-01至2021-01-03 计入/,
      );
      expect(report.find((r) => r.record_id === 'R3')!.explanation).toBe(
        '2021-02-01至2021-02-02 不计：尚未纳入扶助名单（2021-03-01 起纳入，第二条、第六条）',
      );
    } finally {
      await handle.terminate('test over');
    }
  }, 120_000);
});
