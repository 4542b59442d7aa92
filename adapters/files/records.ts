import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { ROSTER_COLUMNS, STAY_COLUMNS } from '../../domain/subsidy/rows';

export type FileSchema = 'roster' | 'hospitalizations';
const COLUMNS: Record<FileSchema, readonly string[]> = { roster: ROSTER_COLUMNS, hospitalizations: STAY_COLUMNS };

/** A file that cannot be read as a whole: it is rejected with the line and column at fault. */
export class MalformedFileError extends Error {
  override name = 'MalformedFileError';
}

export interface NumberedRecord {
  /** 1-based line (CSV) or row (XLSX) number in the file; the header is line 1. */
  line: number;
  record: Record<string, string>;
}

function checkHeader(header: string[], schema: FileSchema): void {
  const expected = COLUMNS[schema];
  const missing = expected.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new MalformedFileError(`line 1: missing column ${missing.join(', ')} (expected ${expected.join(',')})`);
  const unknown = header.filter((c) => !expected.includes(c));
  if (unknown.length > 0) throw new MalformedFileError(`line 1: unknown column ${unknown.join(', ')}`);
}

/** Passes bytes through unchanged, failing on the first byte sequence that is not UTF-8, naming its line. */
class Utf8Guard extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private line = 1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const text = this.decoder.decode(chunk, { stream: true });
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.line++;
      done(null, chunk);
    } catch {
      // Find the line of the first bad byte: a lenient decode marks it with U+FFFD.
      const lenient = new TextDecoder('utf-8').decode(chunk);
      const before = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD')));
      const line = this.line + (before.match(/\n/g)?.length ?? 0);
      done(new MalformedFileError(`line ${line}: not valid UTF-8 (save the file as UTF-8)`));
    }
  }
}

async function* csvRecords(file: string, schema: FileSchema): AsyncGenerator<NumberedRecord> {
  const guard = new Utf8Guard();
  const parser = createReadStream(file)
    .pipe(guard)
    .pipe(parse({ bom: true, columns: false, skip_empty_lines: true, relax_column_count: false, trim: false, info: true }));
  // pipe() does not carry errors downstream: a bad byte must end the parse, not hang it.
  guard.on('error', (error) => parser.destroy(error));
  let header: string[] | undefined;
  try {
    // With `info`, each record carries the line it ended on (read-ahead never shifts it).
    for await (const { record: values, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        header = values.map((v) => v.trim());
        checkHeader(header, schema);
        continue;
      }
      const record: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) record[header[i]!] = values[i] ?? '';
      yield { line, record };
    }
  } catch (error) {
    if (error instanceof MalformedFileError) throw error;
    const e = error as { code?: string; lines?: number; message?: string };
    throw new MalformedFileError(`line ${e.lines ?? '?'}: ${e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' ? 'wrong number of columns' : e.message}`);
  }
  if (!header) throw new MalformedFileError('line 1: the file is empty (no header row)');
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
  }
  return String(value);
}

async function* xlsxRecords(file: string, schema: FileSchema): AsyncGenerator<NumberedRecord> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit' });
  for await (const worksheet of workbook) {
    let header: string[] | undefined;
    for await (const row of worksheet) {
      const values = (row.values as ExcelJS.CellValue[]).slice(1).map(cellText);
      if (!header) {
        header = values.map((v) => v.trim());
        checkHeader(header, schema);
        continue;
      }
      if (values.every((v) => v.trim() === '')) continue;
      if (values.length > header.length && values.slice(header.length).some((v) => v.trim() !== '')) {
        throw new MalformedFileError(`row ${row.number}: more cells than columns`);
      }
      const record: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) record[header[i]!] = values[i] ?? '';
      yield { line: row.number, record };
    }
    return; // the first worksheet holds the data
  }
  throw new MalformedFileError('the workbook has no worksheet');
}

/** Streams a CSV (UTF-8, with or without BOM) or XLSX file as records keyed by header: never the whole file in memory. */
export function readRecords(file: string, kind: 'csv' | 'xlsx', schema: FileSchema): AsyncGenerator<NumberedRecord> {
  return kind === 'csv' ? csvRecords(file, schema) : xlsxRecords(file, schema);
}
