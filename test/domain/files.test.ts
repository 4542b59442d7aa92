import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import {
  fileKindOf,
  MalformedFileError,
  type NumberedRecord,
  readRecords,
  readRecordsFromBuffer,
} from '../../subsidy/adapters/files';
import { STAY_COLUMNS } from '../../subsidy/rules';
import { idFor } from './fixtures';

const id = idFor('1950-03-10');
const header = `${STAY_COLUMNS.join(',')}\n`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'domain-files-'));

async function all(source: AsyncIterable<NumberedRecord>): Promise<NumberedRecord[]> {
  const out: NumberedRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

function csvFile(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('CSV extract files: streamed, UTF-8 with or without BOM', () => {
  it('reads UTF-8 with a BOM, numbering lines from the header (line 1)', async () => {
    const rows = await all(
      readRecords(
        csvFile(
          'bom.csv',
          `\uFEFF${header}1,${id},王,"许昌市中心医院, 东院",2025-07-01,2025-07-02,\n2,${id},李,h,2025-07-03,2025-07-04,abroad\n`,
        ),
        'csv',
        'hospitalizations',
      ),
    );
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
    expect(rows[0]!.record).toEqual({
      record_id: '1',
      id_number: id,
      name: '王',
      hospital: '许昌市中心医院, 东院',
      admission_date: '2025-07-01',
      discharge_date: '2025-07-02',
      exclusion: '',
    });
  });
  it('reads CRLF without BOM, skips empty lines and keeps counting physical lines across quoted line breaks', async () => {
    const content = `${header.trim()}\r\n1,${id},王,"two\r\nlines",2025-07-01,2025-07-02,\r\n\r\n2,${id},李,h,2025-07-03,2025-07-04,\r\n`;
    const rows = await all(readRecordsFromBuffer(content, 'csv', 'hospitalizations'));
    expect(rows.map((r) => [r.line, r.record.record_id])).toEqual([
      [2, '1'],
      [5, '2'],
    ]);
    expect(rows[0]!.record.hospital).toBe('two\r\nlines');
  });
  it('accepts the columns in any order', async () => {
    const rows = await all(
      readRecordsFromBuffer(
        `exclusion,${STAY_COLUMNS.slice(0, 6).join(',')}\n,9,${id},王,h,2025-07-01,2025-07-02\n`,
        'csv',
        'hospitalizations',
      ),
    );
    expect(rows[0]!.record.record_id).toBe('9');
  });
  it('reads from a byte stream, one byte at a time (characters split across chunks)', async () => {
    const bytes = Buffer.from(`${header}1,${id},王桂兰,许昌市中心医院,2025-07-01,2025-07-02,\n`);
    const rows = await all(
      readRecords(Readable.from([...bytes].map((b) => Buffer.from([b]))), 'csv', 'hospitalizations'),
    );
    expect(rows[0]!.record.name).toBe('王桂兰');
  });
  it.each([
    [
      'a missing column',
      `record_id,id_number,name,admission_date,discharge_date,exclusion\n`,
      /line 1: missing column hospital/,
    ],
    ['an unknown column', `${header.trim()},remark\n`, /line 1, field 8: unknown column "remark"/],
    ['a repeated column', `${header.trim()},name\n`, /line 1, field 8: column name appears twice/],
    ['an empty file', '', /line 1: the file is empty/],
    [
      'a short line',
      `${header}1,${id},王,h,2025-07-01,2025-07-02,\n2,${id},王,h,2025-07-01\n`,
      /line 3: 5 fields where the header has 7: column discharge_date missing/,
    ],
    [
      'a long line',
      `${header}1,${id},王,h,2025-07-01,2025-07-02,,extra\n`,
      /line 2: 8 fields where the header has 7: a value after the last column exclusion/,
    ],
    ['an unclosed quote', `${header}1,${id},"王,h,2025-07-01,2025-07-02,\n`, /line \d+: /],
  ])('rejects %s whole, naming the line and column', async (_what, content, message) => {
    const attempt = all(readRecordsFromBuffer(content, 'csv', 'hospitalizations'));
    await expect(attempt).rejects.toBeInstanceOf(MalformedFileError);
    await expect(all(readRecordsFromBuffer(content, 'csv', 'hospitalizations'))).rejects.toThrow(message);
  });
  it('rejects a file that is not UTF-8 (GBK), naming the line and the column', async () => {
    const gbk = Buffer.concat([
      Buffer.from(`${header}1,${id},王,h,2025-07-01,2025-07-02,\n2,${id},`),
      Buffer.from([0xcd, 0xf5]),
      Buffer.from(',h,2025-07-01,2025-07-02,\n'),
    ]);
    await expect(all(readRecords(csvFile('gbk.csv', gbk), 'csv', 'hospitalizations'))).rejects.toThrow(
      'line 3, column name: file is GB18030/GBK, not UTF-8: re-save as UTF-8',
    );
  });
  it('finds a bad byte far into a large file', async () => {
    const good = `1,${id},王桂兰,许昌市中心医院,2025-07-01,2025-07-02,\n`.repeat(50_000);
    const bad = Buffer.concat([
      Buffer.from(header + good),
      Buffer.from(`2,${id},王,`),
      Buffer.from([0xff]),
      Buffer.from(',2025-07-01,2025-07-02,\n'),
    ]);
    await expect(all(readRecords(csvFile('big.csv', bad), 'csv', 'hospitalizations'))).rejects.toThrow(
      'line 50002, column hospital: not valid UTF-8',
    );
  });
  it('rejects a file cut inside a character', async () => {
    const cut = Buffer.concat([Buffer.from(`${header}1,${id},`), Buffer.from('王').subarray(0, 2)]);
    await expect(all(readRecordsFromBuffer(cut, 'csv', 'hospitalizations'))).rejects.toThrow(
      /line 2, column name: the file ends inside a multi-byte character/,
    );
  });
  it('streams: a large file is read without loading it whole', async () => {
    const file = csvFile('many.csv', header + `1,${id},王,h,2025-07-01,2025-07-02,\n`.repeat(200_000));
    let count = 0;
    for await (const _ of readRecords(file, 'csv', 'hospitalizations')) count++;
    expect(count).toBe(200_000);
  });
  it('tells the kind from the file name', () => {
    expect(fileKindOf('a/roster.CSV')).toBe('csv');
    expect(fileKindOf('x.xlsx')).toBe('xlsx');
    expect(() => fileKindOf('x.xls')).toThrow(MalformedFileError);
  });
});

describe('XLSX files: the first worksheet, streamed', () => {
  async function workbook(name: string, rows: unknown[][]): Promise<string> {
    const file = path.join(dir, name);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('extract');
    for (const row of rows) ws.addRow(row);
    await wb.xlsx.writeFile(file);
    return file;
  }
  it('reads rows by header, text and date cells alike', async () => {
    const file = await workbook('good.xlsx', [
      [...STAY_COLUMNS],
      ['1', id, '王桂兰', '许昌市中心医院', 45839, new Date(Date.UTC(2025, 6, 3)), ''], // 45839: 2025-07-01 as a bare serial
      [2, id, '李', 'h', '2025-07-04', '2025-07-05', 'abroad'],
    ]);
    const rows = await all(readRecords(file, 'xlsx', 'hospitalizations'));
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
    expect(rows[0]!.record).toMatchObject({
      record_id: '1',
      name: '王桂兰',
      admission_date: '2025-07-01',
      discharge_date: '2025-07-03',
      exclusion: '',
    });
    expect(rows[1]!.record).toMatchObject({ record_id: '2', exclusion: 'abroad' });
  });
  it('rejects a missing column and a value beyond the last column', async () => {
    const missing = await workbook('missing.xlsx', [STAY_COLUMNS.slice(0, 6)]);
    await expect(all(readRecords(missing, 'xlsx', 'hospitalizations'))).rejects.toThrow(
      /line 1: missing column exclusion/,
    );
    const extra = await workbook('extra.xlsx', [
      [...STAY_COLUMNS],
      ['1', id, '王', 'h', '2025-07-01', '2025-07-02', '', 'oops'],
    ]);
    await expect(all(readRecords(extra, 'xlsx', 'hospitalizations'))).rejects.toThrow(
      /line 2, column H: a value after the last column exclusion/,
    );
  });
  it('reads a workbook whose workbook part comes after its sheet even when the disk is slow', async () => {
    // ExcelJS writes xl/workbook.xml last, so the reader parks the sheet in a temp file and reads it at the end.
    // While that temp file was being made the zip parser reached its end and the last entries were lost
    // ("Cannot read properties of undefined (reading 'sheets')", exceljs#3064, patched in patches/):
    // a slow temp file makes the race certain.
    const rows = [
      [...STAY_COLUMNS],
      ...Array.from({ length: 50 }, (_, i) => [String(i + 1), id, '王', 'h', '2025-07-01', '2025-07-02', '']),
    ];
    const file = await workbook('slow-disk.xlsx', rows);
    const tmp = createRequire(createRequire(import.meta.url).resolve('exceljs'))('tmp') as {
      file: (callback: (...args: unknown[]) => void) => void;
    };
    const makeTempFile = tmp.file;
    tmp.file = (callback) => void setTimeout(() => makeTempFile(callback), 30);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const read = await all(readRecords(file, 'xlsx', 'hospitalizations'));
        expect(read.map((r) => r.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
      }
    } finally {
      tmp.file = makeTempFile;
    }
  });
  it('rejects a workbook cut short, without waiting for bytes that will not come', async () => {
    const whole = readFileSync(
      await workbook('whole.xlsx', [[...STAY_COLUMNS], ['1', id, '王', 'h', '2025-07-01', '2025-07-02', '']]),
    );
    for (const keep of [0.3, 0.6, 0.9]) {
      const cut = csvFile(`cut-${keep}.xlsx`, whole.subarray(0, Math.floor(whole.length * keep)));
      await expect(all(readRecords(cut, 'xlsx', 'hospitalizations'))).rejects.toBeInstanceOf(MalformedFileError);
    }
  });
  it('rejects a file that is not a workbook', async () => {
    await expect(
      all(readRecords(csvFile('fake.xlsx', 'not a zip'), 'xlsx', 'hospitalizations')),
    ).rejects.toBeInstanceOf(MalformedFileError);
  });
});
