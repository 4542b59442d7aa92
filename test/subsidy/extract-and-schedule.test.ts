import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { quarterlyScheduleOptions } from '../../app/stack/schedules';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { quarterlySubsidyLauncherWorkflow, subsidyCycleWorkflow } from '../../app/workflows';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import { storeUpload } from '../../subsidy/adapters/uploads';
import { type CycleSummary, extractUploadedSignal } from '../../subsidy/contracts/definitions';
import { importRoster } from '../../subsidy/services/roster';
import { isHolidayCheckAt, previousQuarterAt } from '../../subsidy/workflows/launcher';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// Quarters 2025Q1 and the launcher's own: test files share one namespace, and ids are per quarter.
const taskQueue = 'test-extract-schedule';
let world: SubsidyTestWorld;
let worker: RunningWorker;

beforeAll(async () => {
  world = await createSubsidyWorld('extract_schedule');
  worker = await startWorker({ address: inject('temporalAddress'), namespace: 'default', taskQueue, deps: world.deps });
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.close();
});

describe('extract stage (第十条 step 1)', () => {
  it('waits for the extract past its deadline, reminding then escalating, and runs once it arrives', async () => {
    const files = await writeSyntheticSubsidyData({
      dir: path.join(world.workDir, 'q1'),
      quarter: '2025Q1',
      rows: 300,
      rosterSize: 80,
      seed: 3,
    });
    await importRoster(world.deps, files.roster, 'test');
    const handle = await world.client.workflow.start(subsidyCycleWorkflow, {
      taskQueue,
      workflowId: 'subsidy-cycle-2025Q1',
      args: [{ quarter: '2025Q1', autoApprove: true, timing: { pollInterval: 200, maxPollInterval: 1_000 } }],
    });
    // 2025Q1's extract was due on 2025-04-08: long past, so both notices are recorded at once.
    let notices: string[] = [];
    for (let i = 0; i < 100 && notices.length < 2; i++) {
      notices = (await world.deps.store.readStream('subsidy-cycle-2025Q1')).map((e) => String(e.data.notice));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notices).toEqual(['ExtractReminderSent', 'ExtractEscalated']);
    const upload = await storeUpload(world.deps, files.hospitalizations);
    await handle.signal(extractUploadedSignal, {
      extractHash: upload.hash,
      actor: { subject: 'test', role: 'city_health_commission' },
    });
    const summary = (await handle.result()) as CycleSummary;
    expect(summary.balanced).toBe(true);
    expect(summary.rows.total).toBe(300);
  }, 120_000);
});

describe('quarterly schedule', () => {
  it('fires at 00:05 China time on the first day of each quarter', () => {
    const options = quarterlyScheduleOptions('q');
    expect(options.spec.timezone).toBe('Asia/Shanghai');
    expect(options.spec.calendars?.[0]).toMatchObject({
      month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'],
      dayOfMonth: 1,
      hour: 0,
      minute: 5,
    });
  });

  it('also fires on 1 November and 1 December to check next year’s holiday arrangement', () => {
    expect(quarterlyScheduleOptions('q').spec.calendars?.[1]).toMatchObject({
      month: ['NOVEMBER', 'DECEMBER'],
      dayOfMonth: 1,
      hour: 9,
    });
    expect(isHolidayCheckAt(Date.parse('2026-11-01T01:00:00Z'))).toBe(true); // 09:00 in Xuchang
    expect(isHolidayCheckAt(Date.parse('2026-11-30T13:00:00Z'))).toBe(false);
    expect(isHolidayCheckAt(Date.parse('2026-09-30T16:05:00Z'))).toBe(false); // 1 October: a quarter's start
  });

  it('the launcher picks the previous quarter in China time', () => {
    expect(previousQuarterAt(Date.parse('2025-09-30T16:05:00Z'))).toBe('2025Q3'); // 2025-10-01 00:05 in Xuchang
    expect(previousQuarterAt(Date.parse('2026-01-01T00:00:00Z'))).toBe('2025Q4');
  });

  it('starts a quarter once: a second launch pays nothing more', async () => {
    const first = await world.client.workflow.execute(quarterlySubsidyLauncherWorkflow, {
      taskQueue,
      workflowId: 'launcher-test-1',
    });
    const second = await world.client.workflow.execute(quarterlySubsidyLauncherWorkflow, {
      taskQueue,
      workflowId: 'launcher-test-2',
    });
    expect(first.started).toBe(true);
    expect(second).toEqual({ quarter: first.quarter, started: false });
    // The launched cycle waits for its extract; it is not this test's business to feed it.
    await world.client.workflow.getHandle(`subsidy-cycle-${first.quarter}`).terminate('test over');
  }, 60_000);
});
