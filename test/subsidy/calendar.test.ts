import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { subsidyCycleWorkflow } from '../../app/workflows';
import { importArrangement } from '../../subsidy/activities/holidays';
import { checkHolidayArrangement } from '../../subsidy/activities/review';
import { type CycleProgress, calendarUpdatedSignal, cycleProgressQuery } from '../../subsidy/contracts/definitions';
import { collect, spawnCli } from '../support/stack-process';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// 2026Q4's deadlines fall in January 2027, a year whose holiday arrangement the bundled table lacks:
// the cycle runs on the provisional calendar and moves its timers when the official one is imported.
const taskQueue = 'test-calendar';
let world: SubsidyTestWorld;
let worker: RunningWorker;
let holidaysDir: string;

// A made-up "official" 2027 arrangement that moves January's 5th working day: 4 and 5 January off,
// Saturday 9 January worked. Working days then 6, 7, 8, 9, 11 → extract due 11 January.
const arrangement2027 = {
  year: 2027,
  notice: 'test: 国务院办公厅关于2027年部分节假日安排的通知 (made up for the test)',
  holidays: ['2027-01-01', '2027-01-04', '2027-01-05', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08'],
  workdays: ['2027-01-09'],
};

beforeAll(async () => {
  world = await createSubsidyWorld('calendar');
  holidaysDir = path.join(world.workDir, 'holidays');
  worker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { ...world.deps, holidaysDir },
  });
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.close();
});

async function progressUntil(
  handle: { query: (q: typeof cycleProgressQuery) => Promise<CycleProgress> },
  ok: (p: CycleProgress) => boolean,
) {
  for (let i = 0; i < 150; i++) {
    const p = await handle.query(cycleProgressQuery).catch(() => undefined);
    if (p && ok(p)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('progress never matched');
}

describe('a cycle whose deadlines fall in a year without a published holiday arrangement', () => {
  it('waits on provisional deadlines, and re-arms its timers on the official dates when the arrangement arrives', async () => {
    const handle = await world.client.workflow.start(subsidyCycleWorkflow, {
      taskQueue,
      workflowId: `calendar-test-${Date.now()}`,
      args: [{ quarter: '2026Q4' }],
    });
    try {
      // Provisional January 2027: 1/1 off; 4, 5, 6, 7, 8 → 1/8; last working day Fri 1/29; review 5 before: 1/22.
      const before = await progressUntil(handle, (p) => p.deadlines !== undefined);
      expect(before.stage).toBe('extract');
      expect(before.deadlines).toEqual({
        extractDue: '2027-01-08T23:59:59+08:00',
        reviewDue: '2027-01-22T23:59:59+08:00',
        paymentDue: '2027-01-29T23:59:59+08:00',
        provisional: true,
      });
      const file = path.join(world.workDir, 'notice-2027.json');
      writeFileSync(file, JSON.stringify(arrangement2027));
      await importArrangement(file, holidaysDir);
      await handle.signal(calendarUpdatedSignal, { year: 2027 });
      const after = await progressUntil(handle, (p) => p.deadlines?.provisional === false);
      expect(after.deadlines).toEqual({
        extractDue: '2027-01-11T23:59:59+08:00',
        reviewDue: '2027-01-22T23:59:59+08:00', // 5 working days before Fri 1/29: 28, 27, 26, 25, 22
        paymentDue: '2027-01-29T23:59:59+08:00',
        provisional: false,
      });
      expect(after.stage).toBe('extract');
    } finally {
      await handle.terminate('test over');
    }
  }, 90_000);
});

describe('the check of 1 November and 1 December', () => {
  it('warns the city health commission once per check while next year’s arrangement is missing', async () => {
    const deps = { ...world.deps, holidaysDir: path.join(world.workDir, 'no-holidays') };
    expect(await checkHolidayArrangement(deps, { checkedAt: '2026-11-01T01:00:00Z' })).toEqual({
      year: 2027,
      missing: true,
    });
    expect(await checkHolidayArrangement(deps, { checkedAt: '2026-11-01T01:00:00Z' })).toEqual({
      year: 2027,
      missing: true,
    }); // a retry
    expect(await checkHolidayArrangement(deps, { checkedAt: '2025-12-01T01:00:00Z' })).toEqual({
      year: 2026,
      missing: false,
    }); // bundled
    const events = await world.deps.store.readStream('subsidy-calendar');
    expect(events.map((e) => [e.type, e.data.year, e.data.checkedOn, e.data.to])).toEqual([
      ['HolidayArrangementMissing', 2027, '2026-11-01', 'city_health_commission'],
    ]);
    const file = path.join(world.workDir, 'notice-2027b.json');
    writeFileSync(file, JSON.stringify(arrangement2027));
    await importArrangement(file, deps.holidaysDir);
    expect(await checkHolidayArrangement(deps, { checkedAt: '2026-12-01T01:00:00Z' })).toEqual({
      year: 2027,
      missing: false,
    });
  });
});

describe('npm run cli -- subsidy deadlines / calendar import (CONTRACT.md; no server)', () => {
  it('prints the January 2027 deadlines marked provisional, and not after the 2027 arrangement is imported', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-holidays-'));
    mkdirSync(dir, { recursive: true });
    const env = { HOLIDAYS_DIR: dir, LOG_LEVEL: 'silent' };
    const run = async (args: string[]) => collect(spawnCli(args, env)).exited;
    const before = await run(['subsidy', 'deadlines', '--quarter', '2026Q4']);
    expect(before.code).toBe(0);
    expect(before.stdout).toBe(
      'extract_due 2027-01-08 (provisional)\nreview_due 2027-01-22 (provisional)\npayment_due 2027-01-29 (provisional)\n',
    );
    const file = path.join(dir, '..', `notice-2027-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(arrangement2027));
    const imported = await run(['calendar', 'import', file, '--no-notify']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/holiday arrangement 2027 .*7 days off, 1 make-up workdays/);
    const after = await run(['subsidy', 'deadlines', '--quarter', '2026Q4']);
    expect(after.stdout).toBe('extract_due 2027-01-11\nreview_due 2027-01-22\npayment_due 2027-01-29\n');
    writeFileSync(file, JSON.stringify({ ...arrangement2027, holidays: ['2026-12-31'] }));
    const bad = await run(['calendar', 'import', file, '--no-notify']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/holidays: 2026-12-31 is not in 2027/);
  }, 300_000); // four CLI processes: slow on a loaded machine
});
