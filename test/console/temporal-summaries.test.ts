import { decodeUserMetadata } from '@temporalio/common/lib/internal-non-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleIdFor } from '../../subsidy/contracts/definitions';
import { recordHistory } from '../support/histories';
import { type ConsoleWorld, createConsoleWorld, eventually, token } from './support';

// What an operator reads in the Temporal UI: every workflow of a cycle and every activity carries a
// Chinese summary, the workflows their stage and counts as current details — and none of it names a
// person, an ID number or an account. Read back through the client, as the UI reads it.
const quarter = '2019Q1';
let cw: ConsoleWorld;

beforeAll(async () => {
  cw = await createConsoleWorld(
    'console_summaries',
    quarter,
    { '411002': 3, '411003': 2 },
    {},
    { enrolledOn: '2018-01-01' },
  );
});
afterAll(async () => {
  await cw?.close();
});

/** The `__temporal_workflow_metadata` query every TypeScript workflow answers: its current details. */
async function currentDetails(workflowId: string): Promise<string> {
  const metadata = await cw.world.client.workflow
    .getHandle(workflowId)
    .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

function assertNoPersonalData(text: string): void {
  for (const p of cw.people) {
    expect(text).not.toContain(p.id);
    expect(text).not.toContain(p.account);
    expect(text).not.toContain(p.name);
  }
}

describe('Chinese summaries in the Temporal UI', () => {
  it('the cycle, its review children and their activities carry Chinese summaries and details', async () => {
    const cycleId = cycleIdFor(quarter);
    const cycle = cw.world.client.workflow.getHandle(cycleId);
    const described = await cycle.describe();
    const summary = await described.staticSummary();
    const details = await described.staticDetails();
    expect(summary).toBe('住院护理扶助 2019年第1季度 季度发放');
    expect(details).toContain('许政办〔2025〕15号');
    expect(details).toContain('县级审核');

    const cycleNow = await eventually(async () => {
      const d = await currentDetails(cycleId);
      return d.includes('县级审核') ? d : undefined;
    });
    expect(cycleNow).toContain('当前阶段：县级审核');
    expect(cycleNow).toContain('医保数据 5 行（有效 5，隔离 0）');
    expect(cycleNow).toContain('2 个县区，5 条');

    const reviewId = `${cycleId}:review:411002`;
    const review = await cw.world.client.workflow.getHandle(reviewId).describe();
    expect(await review.staticSummary()).toBe('县级审核 魏都区 2019年第1季度（3 条）');
    expect(await review.staticDetails()).toContain('第十条第二项');
    expect(await currentDetails(reviewId)).toBe('审核中；共 3 条：批准 0，驳回 0，排除 0，未决 3');

    // A decision moves the review's current details on.
    const reviewer = await token('county_reviewer', '411002');
    const decided = await cw.api.inject({
      method: 'POST',
      url: `/subsidy/cycles/${quarter}/review/411002/decisions`,
      headers: { authorization: `Bearer ${reviewer}` },
      payload: { decision: 'approve', selection: { scope: 'all_undecided', except: [1] } },
    });
    expect(decided.statusCode).toBe(200);
    expect(await currentDetails(reviewId)).toBe('审核中；共 3 条：批准 2，驳回 0，排除 0，未决 1');

    // Activities: the summary is in each ActivityTaskScheduled event (encrypted by the payload codec,
    // decoded here with the client's converter, as the UI decodes it through the codec server).
    const history = await cycle.fetchHistory();
    const converter = cw.world.client.options.loadedDataConverter;
    const activitySummaries: string[] = [];
    const childSummaries: string[] = [];
    let plainInHistory = false;
    for (const event of history.events ?? []) {
      const raw = event.userMetadata;
      if (!raw?.summary) continue;
      if (
        Buffer.from(raw.summary.data ?? [])
          .toString('utf8')
          .includes('住院')
      )
        plainInHistory = true;
      const decoded = await decodeUserMetadata(converter, raw);
      if (event.activityTaskScheduledEventAttributes) activitySummaries.push(decoded.staticSummary ?? '');
      if (event.startChildWorkflowExecutionInitiatedEventAttributes) childSummaries.push(decoded.staticSummary ?? '');
    }
    expect(activitySummaries).toEqual(
      expect.arrayContaining(['计算本季度截止日期（工作日）', '导入并校验医保数据（COPY，坏行隔离）']),
    );
    expect(activitySummaries).toContain('按规则计算每人补助（第四条、第五条）');
    expect(childSummaries.sort()).toEqual([
      '县级审核 建安区 2019年第1季度（2 条）',
      '县级审核 魏都区 2019年第1季度（3 条）',
    ]);
    expect(plainInHistory).toBe(false);

    // The county finishes: the review's details say so, and its history (with the summaries) is
    // kept under test/histories/, replayed from now on with the rest.
    const rest = await cw.api.inject({
      method: 'POST',
      url: `/subsidy/cycles/${quarter}/review/411002/decisions`,
      headers: { authorization: `Bearer ${reviewer}` },
      payload: { decision: 'reject', selection: { scope: 'items', seqs: [1] }, reason: '重复报销' },
    });
    expect(rest.statusCode).toBe(200);
    const submitted = await cw.api.inject({
      method: 'POST',
      url: `/subsidy/cycles/${quarter}/review/411002/submit`,
      headers: { authorization: `Bearer ${reviewer}` },
    });
    expect(submitted.statusCode).toBe(200);
    await cw.world.client.workflow.getHandle(reviewId).result();
    expect(await currentDetails(reviewId).catch(() => '')).toMatch(
      /^(已提交；共 3 条：批准 2，驳回 1，排除 0，未决 0)?$/,
    );
    await recordHistory(cw.world.client, reviewId, 'subsidy-county-review-summaries');

    assertNoPersonalData(
      [summary, details, cycleNow, await review.staticDetails(), ...activitySummaries, ...childSummaries].join('\n'),
    );
  });
});
