import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestExtractFile } from '../../subsidy/activities/ingest';
import { storeUpload } from '../../subsidy/adapters/uploads';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// Duplicate records within one extract have ONE implementation: the set-based SQL that ingest runs over
// extract_rows (subsidy/activities/ingest.ts, classifyDuplicates). These cases go through ingest on the real
// PostgreSQL; line numbers are the file's (the header is line 1). No workflow runs: no quarter is claimed.
let world: SubsidyTestWorld;

beforeAll(async () => {
  world = await createSubsidyWorld('duplicates');
});
afterAll(async () => {
  await world?.close();
});

const A = '411003196702235001';
const B = '41102419620713001X';
const stay = (recordId: string, idNumber: string, admission: string, discharge = '2025-07-05') =>
  `${recordId},${idNumber},某,许昌市中心医院,${admission},${discharge},`;

async function reasonsOf(lines: string[]): Promise<Map<number, [string | null, string | null]>> {
  const file = path.join(world.workDir, `extract-${lines.length}-${Date.now()}.csv`);
  writeFileSync(
    file,
    `record_id,id_number,name,hospital,admission_date,discharge_date,exclusion\n${lines.join('\n')}\n`,
  );
  const upload = await storeUpload(world.deps, file);
  await ingestExtractFile(world.deps, { cycleId: 'duplicates', extractHash: upload.hash });
  const rows = await sql<{ line_no: number; quarantine_reason: string | null; quarantine_detail: string | null }>`
    select line_no, quarantine_reason, quarantine_detail from extract_rows
     where extract_hash = ${upload.hash} order by line_no`.execute(world.testDb.db);
  return new Map(rows.rows.map((r) => [r.line_no, [r.quarantine_reason, r.quarantine_detail]]));
}

it('an exact repeat: the first line counts, each repeat is duplicate_record naming that line', async () => {
  const rows = await reasonsOf([
    stay('1', A, '2025-07-01'),
    stay('2', B, '2025-07-01'),
    stay('1', A, '2025-07-01'),
    stay('1', A, '2025-07-01'),
  ]);
  expect([...rows.values()]).toEqual([
    [null, null],
    [null, null],
    ['duplicate_record', 'exact repeat of line 2'],
    ['duplicate_record', 'exact repeat of line 2'],
  ]);
});

it('the same id with different content: every copy is duplicate_conflict, a bad copy keeps its own reason', async () => {
  const rows = await reasonsOf([
    stay('7', A, '2025-07-01'),
    stay('8', B, '2025-07-01'),
    stay('7', A, '2025-07-02'),
    stay('7', A, '2025-07-01'),
    stay('9', B, '2025-08-01', '2025-08-03'),
    stay('9', B, '2025-08-01', 'not a date'),
  ]);
  const conflict = ['duplicate_conflict', 'record_id appears with different content on other lines'];
  expect(rows.get(2)).toEqual(conflict);
  expect(rows.get(3)).toEqual([null, null]);
  expect(rows.get(4)).toEqual(conflict);
  expect(rows.get(5)).toEqual(conflict);
  // Line 7 fails validation on its own: it keeps that reason, and still makes line 6 a conflict.
  expect(rows.get(6)).toEqual(conflict);
  expect(rows.get(7)![0]).not.toMatch(/^duplicate_/);
});

it('ids are compared trimmed, content raw; "013" and "13" are different ids; empty ids are never grouped', async () => {
  const rows = await reasonsOf([
    stay('12', A, '2025-07-01'),
    stay(' 12', A, '2025-07-01'),
    stay('013', A, '2025-07-10', '2025-07-11'),
    stay('13', B, '2025-07-10', '2025-07-11'),
    stay('', A, '2025-09-01', '2025-09-02'),
    stay('', A, '2025-09-01', '2025-09-02'),
  ]);
  // " 12" is id 12 again, but its raw content differs (the space): the copies conflict.
  expect(rows.get(2)![0]).toBe('duplicate_conflict');
  expect(rows.get(3)![0]).toBe('duplicate_conflict');
  expect(rows.get(4)).toEqual([null, null]);
  expect(rows.get(5)).toEqual([null, null]);
  expect(rows.get(6)![0]).toBe('missing_field');
  expect(rows.get(7)![0]).toBe('missing_field');
});
