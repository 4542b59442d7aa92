import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { maskIdNumber } from '../../platform/security/masking';
import { idFor } from '../domain/fixtures';
import { collect, type Finished, spawnCli } from '../support/stack-process';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// CONTRACT.md `subsidy cycle run --annual-roster FILE`, as an operator runs it: the first quarter with an
// update roster of two people of 411002, the next with the annual roster of the year listing only one. The
// other exits on 1 January of the year (not_in_annual_roster): the command names the exit, and that
// person's stay of the quarter is not paid. Hand-computed: one_child_parent, 100 yuan a night, city 40 %.
// Each command is its own process with its own DATA_DIR; quarters 2018Q3 and 2018Q4.
const taskQueue = 'test-annual-roster-cli';
const A = idFor('1950-08-01', 421);
const B = idFor('1950-08-02', 422);
const ROSTER_HEAD =
  'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on';
const EXTRACT_HEAD = 'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion';
const lineA = `${A},甲,M,1950-08-01,,411002,one_child_parent,ICBC,6222000051,2015-01-01,`;
const lineB = `${B},乙,M,1950-08-02,,411002,one_child_parent,ICBC,6222000052,2015-01-01,`;
let world: SubsidyTestWorld;
let dir: string;

beforeAll(async () => {
  world = await createSubsidyWorld('annual_roster_cli');
  dir = path.join(world.workDir, 'input');
  mkdirSync(dir, { recursive: true });
});
afterAll(async () => {
  await world?.close();
});

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function runCli(quarter: string, rosterFlag: string, roster: string, extract: string): Promise<Finished> {
  const child = spawnCli(
    [
      'subsidy',
      'cycle',
      'run',
      '--quarter',
      quarter,
      rosterFlag,
      roster,
      '--hospitalizations',
      extract,
      '--auto-approve',
      '--payments-out',
      path.join(world.workDir, quarter, 'payments.csv'),
      '--report-out',
      path.join(world.workDir, quarter, 'report.csv'),
    ],
    {
      DATA_DIR: path.join(world.workDir, 'cli-data'),
      DATABASE_URL: world.testDb.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BANK_GATEWAY_URL: world.bankUrl,
      PII_KEY: world.piiKey,
      LOG_LEVEL: 'warn',
    },
  );
  return collect(child).exited;
}

const csv = (quarter: string, name: string) =>
  readFileSync(path.join(world.workDir, quarter, name), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, name === 'report.csv' ? 5 : 9));

it('an annual roster that leaves a person out: they exit on 1 January, the command says so, their stay is not paid', async () => {
  const first = await runCli(
    '2018Q3',
    '--roster',
    write('roster-update.csv', [ROSTER_HEAD, lineA, lineB]),
    write('extract-q3.csv', [
      EXTRACT_HEAD,
      `Q3A,${A},甲,h,2018-07-01,2018-07-06,`, // 1–5 July: 5 nights, 500.00
      `Q3B,${B},乙,h,2018-08-01,2018-08-04,`, // 1–3 August: 3 nights, 300.00
    ]),
  );
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).toMatch(/roster version 1 \(update\): 2 entries/);
  expect(csv('2018Q3', 'payments.csv')).toEqual([
    ['id_number', 'jurisdiction', 'category', 'kind', 'nights', 'amount', 'city_share', 'county_share', 'record_ids'],
    [A, '411002', 'one_child_parent', 'regular', '5', '500.00', '200.00', '300.00', 'Q3A'],
    [B, '411002', 'one_child_parent', 'regular', '3', '300.00', '120.00', '180.00', 'Q3B'],
  ]);

  const second = await runCli(
    '2018Q4',
    '--annual-roster',
    write('roster-annual-2018.csv', [ROSTER_HEAD, lineA]),
    write('extract-q4.csv', [
      EXTRACT_HEAD,
      `Q4A,${A},甲,h,2018-10-01,2018-10-03,`, // 1–2 October: 2 nights, 200.00
      `Q4B,${B},乙,h,2018-10-10,2018-10-14,`, // after B's exit on 2018-01-01: nothing
    ]),
  );
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).toMatch(
    /roster version 2 \(annual roster 2018\): 1 entries, 1 changed, 0 quarantined, 0 conflicts, 1 exit on 2018-01-01 \(not_in_annual_roster\)/,
  );
  // The exit named as the county knows the person: name, masked ID number, jurisdiction.
  expect(second.stderr).toContain(`exits 2018-01-01 (not_in_annual_roster): 乙 ${maskIdNumber(B)}, 411002`);
  expect(second.stderr).not.toContain(B);
  expect(csv('2018Q4', 'payments.csv')).toEqual([
    ['id_number', 'jurisdiction', 'category', 'kind', 'nights', 'amount', 'city_share', 'county_share', 'record_ids'],
    [A, '411002', 'one_child_parent', 'regular', '2', '200.00', '80.00', '120.00', 'Q4A'],
  ]);
  expect(csv('2018Q4', 'report.csv')).toEqual([
    ['record_id', 'outcome', 'reason', 'nights', 'amount'],
    ['Q4A', 'paid', '', '2', '200.00'],
    ['Q4B', 'not_eligible', 'not_enrolled', '0', '0.00'],
  ]);
  const report = readFileSync(path.join(world.workDir, '2018Q4', 'report.csv'), 'utf8');
  expect(report).toContain('已于 2018-01-01 退出扶助名单');
  expect(second.stdout).toMatch(/cycle subsidy-cycle-2018Q4: 2 rows/);

  const exits = await world.deps.db.selectFrom('roster_exits').select(['year', 'exited_on', 'reason']).execute();
  expect(exits).toEqual([{ year: 2018, exited_on: '2018-01-01', reason: 'not_in_annual_roster' }]);
}, 300_000);
