import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../platform/config';
import { ingestExtractFile } from '../../subsidy/activities/ingest';
import { storeUpload } from '../../subsidy/adapters/uploads';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// CONTRACT.md "Bad files": every file that cannot be read as what it claims fails the ingest at
// once — non-retryable, naming the line and column — and leaves no row and no COPY behind.
let world: SubsidyTestWorld;
let dir: string;
const sample = readFileSync(path.join(repoRoot, 'samples', 'hospitalizations-2025Q3.csv'), 'utf8');
const lines = sample.trimEnd().split('\n');

function write(name: string, content: Buffer | string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function toGbk(text: string): Buffer {
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });
}

async function rejection(file: string): Promise<{ error: unknown; ms: number }> {
  const upload = await storeUpload(world.deps, file);
  const started = performance.now();
  const error = await ingestExtractFile(world.deps, { cycleId: 'bad-files', extractHash: upload.hash }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const left = await sql<{
    n: string;
  }>`select count(*) as n from extract_rows where extract_hash = ${upload.hash}`.execute(world.testDb.db);
  expect(Number(left.rows[0]!.n)).toBe(0);
  return { error, ms: performance.now() - started };
}

beforeAll(async () => {
  world = await createSubsidyWorld('bad_files');
  dir = path.join(world.workDir, 'files');
  mkdirSync(dir, { recursive: true });
});
afterAll(async () => {
  await world?.close();
});

const cases: [string, () => Promise<string>, RegExp][] = [
  [
    'a GBK extract (Chinese office software)',
    async () => write('gbk.csv', toGbk(sample)),
    /line 2, column name: file is GB18030\/GBK, not UTF-8: re-save as UTF-8/,
  ],
  [
    'a file whose GBK line comes after the first 64 KiB (found while streaming)',
    async () =>
      write(
        'late-gbk.csv',
        Buffer.concat([
          Buffer.from(`${lines.slice(0, 2500).join('\n')}\n`),
          toGbk(`${lines.slice(2500).join('\n')}\n`),
        ]),
      ),
    /line 2501, column name: file is GB18030\/GBK, not UTF-8/,
  ],
  [
    'a missing column',
    async () => write('missing.csv', lines.map((l) => l.split(',').slice(0, 6).join(',')).join('\n')),
    /line 1: missing column exclusion/,
  ],
  [
    'an extra column',
    async () => write('extra.csv', lines.map((l, i) => `${l},${i === 0 ? 'note' : 'x'}`).join('\n')),
    /line 1, field 8: unknown column "note"/,
  ],
  ['an empty file', async () => write('empty.csv', ''), /line 1: the file is empty/],
  ['random bytes', async () => write('random.csv', randomBytes(4 << 20)), /binary data|not valid UTF-8/],
  [
    'a row of 10,000 columns in the middle',
    async () =>
      write(
        'wide.csv',
        [
          ...lines.slice(0, 1999),
          Array.from({ length: 10_000 }, (_, i) => `v${i}`).join(','),
          ...lines.slice(1999),
        ].join('\n'),
      ),
    /line 2000: 10000 fields where the header has 7/,
  ],
  [
    'a broken workbook (a zip cut short)',
    async () => {
      const bytes = await workbookBytes(50);
      return write('broken.xlsx', bytes.subarray(0, Math.floor(bytes.length / 2)));
    },
    /not a readable \.xlsx workbook/,
  ],
];

async function workbookBytes(rows: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('extract');
  for (const line of lines.slice(0, rows + 1)) sheet.addRow(line.split(','));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('bad extracts fail the ingest at once, non-retryable, naming line and column', () => {
  for (const [what, make, reason] of cases) {
    it(what, async () => {
      const { error, ms } = await rejection(await make());
      expect(error).toBeInstanceOf(ApplicationFailure);
      const failure = error as ApplicationFailure;
      expect(failure.nonRetryable).toBe(true);
      expect(failure.type).toBe('MalformedFile');
      expect(failure.message).toMatch(/^extract [0-9a-f]{12}\.(csv|xlsx): /);
      expect(failure.message).toMatch(reason);
      expect(ms).toBeLessThan(10_000);
      // No connection is left in a COPY (the rollback used to queue behind it for ever).
      const copying = await sql<{
        n: string;
      }>`select count(*) as n from pg_stat_activity where datname = current_database() and query ilike 'copy %' and state <> 'idle'`.execute(
        world.testDb.db,
      );
      expect(Number(copying.rows[0]!.n)).toBe(0);
    });
  }

  it('an xlsx workbook renamed .csv is read as the workbook it is (the bytes decide, not the name)', async () => {
    const upload = await storeUpload(world.deps, write('workbook.csv', await workbookBytes(50)));
    expect(upload.kind).toBe('xlsx');
    const result = await ingestExtractFile(world.deps, { cycleId: 'renamed-workbook', extractHash: upload.hash });
    expect(result.total).toBe(50);
  });

  it('an extract stored in the upload folder by an earlier version is moved into PostgreSQL and loads', async () => {
    const text = `${lines.slice(0, 21).join('\n')}\n`;
    const hash = createHash('sha256').update(text).digest('hex');
    mkdirSync(world.deps.uploadsDir, { recursive: true });
    writeFileSync(path.join(world.deps.uploadsDir, `${hash}.csv`), text);
    const result = await ingestExtractFile(world.deps, { cycleId: 'legacy-upload', extractHash: hash });
    expect(result.total).toBe(20);
  });

  it('a good file still loads, and its duplicates are classified as before', async () => {
    const file = write(
      'good.csv',
      [
        ...lines,
        lines[5]!,
        `${lines[6]!.split(',')[0]},411003196702235001,某,许昌市中心医院,2025-07-01,2025-07-02,`,
      ].join('\n'),
    );
    const upload = await storeUpload(world.deps, file);
    const result = await ingestExtractFile(world.deps, { cycleId: 'good-file', extractHash: upload.hash });
    expect(result.total).toBe(lines.length + 1);
    const reasons = await sql<{ line_no: number; quarantine_reason: string; quarantine_detail: string }>`
      select line_no, quarantine_reason, quarantine_detail from extract_rows
       where extract_hash = ${upload.hash} and quarantine_reason like 'duplicate_%' order by line_no`.execute(
      world.testDb.db,
    );
    expect(reasons.rows).toEqual(
      expect.arrayContaining([
        {
          line_no: 7,
          quarantine_reason: 'duplicate_conflict',
          quarantine_detail: 'record_id appears with different content on other lines',
        },
        {
          line_no: lines.length + 1,
          quarantine_reason: 'duplicate_record',
          quarantine_detail: 'exact repeat of line 6',
        },
        {
          line_no: lines.length + 2,
          quarantine_reason: 'duplicate_conflict',
          quarantine_detail: 'record_id appears with different content on other lines',
        },
      ]),
    );
  });
});
