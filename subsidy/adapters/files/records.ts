import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ROSTER_COLUMNS, STAY_COLUMNS } from '../../rules/rows';

// Streaming readers for the roster and the medical-insurance extract (CONTRACT.md): a CSV (UTF-8, with
// or without BOM) or an .xlsx workbook becomes an async iterable of raw records keyed by header name,
// each with its line number. Rows are yielded one at a time; nothing holds the file in memory. A file
// that cannot be read as a whole (missing or unknown header column, bytes that are not UTF-8, a line
// with the wrong number of fields) is rejected with an error naming the line and the column; a row
// whose values are merely wrong is the validators' business (subsidy/rules/rows.ts), not ours.

export type FileSchema = 'roster' | 'hospitalizations';
export type FileKind = 'csv' | 'xlsx';
export const SCHEMA_COLUMNS: Record<FileSchema, readonly string[]> = {
  roster: ROSTER_COLUMNS,
  hospitalizations: STAY_COLUMNS,
};

/** A file that cannot be read as a whole: it is rejected with the line and column at fault. */
export class MalformedFileError extends Error {
  override name = 'MalformedFileError';
}

export interface NumberedRecord {
  /** 1-based physical line where the record starts (CSV) or row number (XLSX); the header is line 1. */
  line: number;
  record: Record<string, string>;
}

/** 'csv' or 'xlsx' from a file name. */
export function fileKindOf(fileName: string): FileKind {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.xlsx')) return 'xlsx';
  throw new MalformedFileError(`${fileName}: expected a .csv or .xlsx file`);
}

function checkHeader(header: readonly string[], schema: FileSchema, where: (i: number) => string): void {
  const expected = SCHEMA_COLUMNS[schema];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (!expected.includes(name))
      throw new MalformedFileError(
        `line 1, ${where(i)}: unknown column ${JSON.stringify(name)} (expected ${expected.join(',')})`,
      );
    if (seen.has(name)) throw new MalformedFileError(`line 1, ${where(i)}: column ${name} appears twice`);
    seen.add(name);
  });
  const missing = expected.filter((c) => !seen.has(c));
  if (missing.length > 0)
    throw new MalformedFileError(`line 1: missing column ${missing.join(', ')} (expected ${expected.join(',')})`);
}

/**
 * Passes bytes through unchanged and fails on the first byte that is not well-formed UTF-8, naming its
 * line and column. The check itself is native (buffer.isUtf8, on whole characters: a sequence split
 * between chunks is carried over); only when it fails is the offending chunk scanned byte by byte, from
 * the start of its line, to say where.
 */
class Utf8Guard extends Transform {
  /** Line number of the first byte of `lineSoFar`. */
  private line = 1;
  /** The bytes of the current, unfinished line (to locate an error in it). */
  private lineSoFar: Buffer = Buffer.alloc(0);
  /** An incomplete multi-byte sequence at the end of the last chunk. */
  private carry: Buffer = Buffer.alloc(0);
  private headerNames: string[] | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = completeLength(data);
    const body = data.subarray(0, cut);
    this.carry = Buffer.from(data.subarray(cut));
    if (!isUtf8(body)) {
      done(this.locate(body));
      return;
    }
    this.advance(body);
    done(null, body);
  }

  override _flush(done: TransformCallback): void {
    if (this.carry.length > 0) done(this.locate(this.carry, true));
    else done();
  }

  private advance(body: Buffer): void {
    const last = body.lastIndexOf(0x0a);
    if (last === -1) {
      if (this.lineSoFar.length < MAX_LINE_KEPT) this.lineSoFar = Buffer.concat([this.lineSoFar, body]);
      return;
    }
    if (!this.headerNames)
      this.headerNames = headerNamesOf(Buffer.concat([this.lineSoFar, body.subarray(0, body.indexOf(0x0a))]));
    for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) this.line++;
    this.lineSoFar = Buffer.from(body.subarray(last + 1));
  }

  private locate(body: Buffer, atEnd = false): MalformedFileError {
    const bytes = Buffer.concat([this.lineSoFar, body]);
    const found = firstInvalidUtf8(bytes, this.line);
    if (!this.headerNames && found.line > 1) this.headerNames = headerNamesOf(bytes.subarray(0, bytes.indexOf(0x0a)));
    const name = found.line > 1 ? this.headerNames?.[found.field] : undefined;
    const column = name ? `column ${name}` : `field ${found.field + 1}`;
    if (atEnd && !found.invalid)
      return new MalformedFileError(
        `line ${found.line}, ${column}: the file ends inside a multi-byte character (save the file as UTF-8)`,
      );
    return new MalformedFileError(`line ${found.line}, ${column}: ${notUtf8(lineAt(bytes, found.offset))}`);
  }
}

const MAX_LINE_KEPT = 1 << 20;

function headerNamesOf(bytes: Buffer): string[] {
  const text = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r$/, '');
  return text.split(',').map((n) => n.trim().replace(/^"|"$/g, ''));
}

/** The length of `data` up to its last complete UTF-8 character (a trailing partial sequence is left out). */
function completeLength(data: Buffer): number {
  let k = data.length - 1;
  let continuation = 0;
  while (k >= 0 && continuation < 3 && (data[k]! & 0xc0) === 0x80) {
    k--;
    continuation++;
  }
  if (k < 0) return data.length;
  const lead = data[k]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return length > continuation + 1 && length > 1 ? k : data.length;
}

/** Scans bytes with a UTF-8 state machine and a light CSV lexer (quotes, commas, newlines) to the first bad byte. */
function firstInvalidUtf8(
  bytes: Buffer,
  startLine: number,
): { line: number; field: number; invalid: boolean; offset: number } {
  let line = startLine;
  let field = 0;
  let inQuotes = false;
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (need > 0) {
      if (b < lo || b > hi) return { line, field, invalid: true, offset: i };
      need--;
      lo = 0x80;
      hi = 0xbf;
      continue;
    }
    if (b < 0x80) {
      if (b === 0x22) inQuotes = !inQuotes;
      else if (b === 0x2c && !inQuotes) field++;
      else if (b === 0x0a) {
        line++;
        if (!inQuotes) field = 0;
      }
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if (b === 0xed) [need, hi] = [2, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    else return { line, field, invalid: true, offset: i };
  }
  return { line, field, invalid: false, offset: bytes.length };
}

/** The bytes of the line around `offset` (to guess the encoding from that line alone). */
function lineAt(bytes: Buffer, offset: number): Buffer {
  const start = bytes.lastIndexOf(0x0a, Math.max(0, offset - 1)) + 1;
  const end = bytes.indexOf(0x0a, offset);
  return bytes.subarray(start, end === -1 ? bytes.length : end);
}

const gb18030 = new TextDecoder('gb18030', { fatal: true });

/**
 * Says what bytes that are not UTF-8 most likely are. Chinese office software saves CSV as GBK (a
 * subset of GB18030) by default: when the bytes decode as GB18030 and hold CJK characters, say so.
 * Only a diagnosis: the file is rejected either way, so a wrong guess never reaches a payment.
 */
export function notUtf8(bytes: Buffer): string {
  let text: string | undefined;
  try {
    text = gb18030.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text !== undefined && /[\u3400-\u9fff]/.test(text))
    return 'file is GB18030/GBK, not UTF-8: re-save as UTF-8 (CSV UTF-8 in Excel or WPS)';
  return 'not valid UTF-8 (save the file as UTF-8)';
}

/** The first bytes inspectHead wants to see. */
export const HEAD_BYTES = 64 * 1024;

/** What the bytes are, whatever the name says: a zip (an .xlsx workbook) or text (CSV). */
export function kindOfBytes(head: Buffer): FileKind {
  return head.length >= 4 && head.readUInt32BE(0) === 0x504b0304 ? 'xlsx' : 'csv';
}

/**
 * A cheap look at the first bytes (HEAD_BYTES) of a stored file of `size` bytes before anything is
 * loaded: an empty file, an .xlsx workbook named .csv, binary data, UTF-16 or GB18030 text, a header
 * without the schema's columns. Throws MalformedFileError naming the line and column; the rows themselves are checked
 * while they stream (readRecords), so this only catches what the head of the file shows.
 */
export function inspectHead(head: Buffer, size: number, kind: FileKind, schema: FileSchema): void {
  if (size === 0) throw new MalformedFileError('line 1: the file is empty (0 bytes; expected a header row)');
  const zip = head.length >= 4 && head.readUInt32BE(0) === 0x504b0304;
  if (kind === 'xlsx') {
    if (!zip) throw new MalformedFileError('not an .xlsx workbook (no zip signature at byte 0): upload a CSV as .csv');
    return; // the workbook reader checks its header row itself
  }
  if (zip)
    throw new MalformedFileError(
      'this is an Excel workbook (.xlsx) named .csv: upload it as .xlsx, or save it as CSV UTF-8',
    );
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) {
    throw new MalformedFileError('this is an old Excel workbook (.xls), not CSV: save it as .xlsx or CSV UTF-8');
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new MalformedFileError('line 1: file is UTF-16, not UTF-8: re-save as UTF-8');
  }
  const nul = head.indexOf(0);
  if (nul !== -1) {
    const line = lineNumberAt(head, nul);
    throw new MalformedFileError(`line ${line}: binary data (a NUL byte at byte ${nul + 1}), not CSV text`);
  }
  head = head.subarray(0, HEAD_BYTES);
  const complete = head.length < size ? head.subarray(0, completeLength(head)) : head;
  if (!isUtf8(complete)) {
    const found = firstInvalidUtf8(complete, 1);
    const names = found.line > 1 ? headerNamesOf(complete.subarray(0, complete.indexOf(0x0a))) : [];
    const column = names[found.field] ? `column ${names[found.field]}` : `field ${found.field + 1}`;
    throw new MalformedFileError(`line ${found.line}, ${column}: ${notUtf8(lineAt(complete, found.offset))}`);
  }
  const newline = head.indexOf(0x0a);
  if (newline === -1 && head.length < size)
    throw new MalformedFileError(
      `line 1: no end of the header row in the first ${HEAD_BYTES} bytes: not a CSV of ${schema}`,
    );
  const headerLine = head.subarray(0, newline === -1 ? head.length : newline).toString('utf8');
  let header: string[];
  try {
    header = (parseSync(headerLine, { bom: true, relax_quotes: true }) as string[][])[0] ?? [];
  } catch (error) {
    throw new MalformedFileError(
      `line 1: the header row is not CSV (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (header.length === 0 || header.every((h) => h.trim() === ''))
    throw new MalformedFileError('line 1: the header row is empty');
  checkHeader(
    header.map((h) => h.trim()),
    schema,
    (i) => `field ${i + 1}`,
  );
}

function lineNumberAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

function byteStream(source: string | Readable): Readable {
  return typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
}

/** Records per batch handed to the reader: one await per batch, not per record. */
const RECORDS_PER_BATCH = 1_000;

/** Groups the parser's records into arrays, so a million-row file costs a thousand awaits rather than a million. */
class Batcher extends Transform {
  private batch: string[][] = [];

  constructor() {
    super({ objectMode: true });
  }

  override _transform(values: string[], _encoding: BufferEncoding, done: TransformCallback): void {
    this.batch.push(values);
    if (this.batch.length >= RECORDS_PER_BATCH) {
      this.push(this.batch);
      this.batch = [];
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.batch.length > 0) this.push(this.batch);
    done();
  }
}

async function* csvRecords(source: string | Readable, schema: FileSchema): AsyncGenerator<NumberedRecord[]> {
  const input = byteStream(source);
  const guard = new Utf8Guard();
  // Lines are counted here rather than with csv-parse's `info` (which costs a third of the parse): every
  // record starts on a new line, empty lines come through as one empty field, and a quoted value may
  // hold line breaks of its own.
  const parser = parse({ bom: true, columns: false, skip_empty_lines: false, relax_column_count: true, trim: false });
  // pipe() does not carry errors downstream: a bad byte or an unreadable file must end the parse, not hang it.
  const batches = new Batcher();
  input.on('error', (error) => parser.destroy(error));
  guard.on('error', (error) => parser.destroy(error));
  parser.on('error', (error) => batches.destroy(error));
  input.pipe(guard).pipe(parser).pipe(batches);
  let header: string[] | undefined;
  let nextLine = 1;
  try {
    for await (const batch of batches as AsyncIterable<string[][]>) {
      const records: NumberedRecord[] = [];
      for (const values of batch) {
        const line = nextLine;
        nextLine++;
        for (let i = 0; i < values.length; i++) {
          const v = values[i]!;
          for (let at = v.indexOf('\n'); at !== -1; at = v.indexOf('\n', at + 1)) nextLine++;
        }
        if (values.length === 1 && values[0]!.trim() === '') continue; // an empty line
        if (!header) {
          header = values.map((v) => v.trim());
          checkHeader(header, schema, (i) => `field ${i + 1}`);
          continue;
        }
        if (values.length !== header.length) {
          const detail =
            values.length < header.length
              ? `column ${header[values.length]} missing`
              : `a value after the last column ${header[header.length - 1]}`;
          throw new MalformedFileError(
            `line ${line}: ${values.length} fields where the header has ${header.length}: ${detail}`,
          );
        }
        const record: Record<string, string> = {};
        for (let i = 0; i < header.length; i++) record[header[i]!] = values[i]!;
        records.push({ line, record });
      }
      if (records.length > 0) yield records;
    }
  } catch (error) {
    if (error instanceof MalformedFileError) throw error;
    const e = error as { code?: string; lines?: number; message?: string };
    if (e.code?.startsWith('CSV_')) throw new MalformedFileError(`line ${e.lines ?? '?'}: ${e.message ?? e.code}`);
    throw error;
  } finally {
    input.unpipe();
    if (typeof source === 'string') input.destroy();
  }
  if (!header) throw new MalformedFileError('line 1: the file is empty (no header row)');
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  // Excel dates arrive as UTC-midnight Dates: the calendar date is the UTC one.
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('error' in value) return String(value.error);
    return '';
  }
  return String(value);
}

const DATE_COLUMN = /(_date|_on)$/;
const EXCEL_EPOCH_TO_UNIX_DAYS = 25569; // serial 25569 is 1970-01-01 in Excel's 1900 date system

/** An Excel serial day number as YYYY-MM-DD; anything that is not a plausible whole serial stays as written. */
function excelSerialDate(serial: number): string {
  if (!Number.isInteger(serial) || serial < 61 || serial > 100_000) return String(serial);
  return new Date((serial - EXCEL_EPOCH_TO_UNIX_DAYS) * 86_400_000).toISOString().slice(0, 10);
}

function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

async function* xlsxRecords(source: string | Readable, schema: FileSchema): AsyncGenerator<NumberedRecord[]> {
  // Styles are read so that date-formatted cells come back as dates rather than serial numbers.
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
  });
  try {
    for await (const worksheet of workbook) {
      let header: string[] | undefined;
      for await (const row of worksheet) {
        // row.values is 1-based and sparse: empty cells are holes.
        const cells = row.values as ExcelJS.CellValue[];
        const values: string[] = [];
        for (let c = 1; c < cells.length; c++) values.push(cellText(cells[c]));
        if (!header) {
          if (row.number !== 1)
            throw new MalformedFileError(`line 1: the header row is missing (first row found is ${row.number})`);
          header = values.map((v) => v.trim());
          checkHeader(header, schema, (i) => `column ${columnLetter(i)}`);
          continue;
        }
        if (values.every((v) => v.trim() === '')) continue;
        for (let c = header.length; c < values.length; c++) {
          if (values[c]!.trim() !== '')
            throw new MalformedFileError(
              `line ${row.number}, column ${columnLetter(c)}: a value after the last column ${header[header.length - 1]}`,
            );
        }
        const record: Record<string, string> = {};
        for (let i = 0; i < header.length; i++) {
          const name = header[i]!;
          const cell = cells[i + 1];
          // A date typed as a bare number (an Excel serial without a date format) in a date column.
          record[name] = typeof cell === 'number' && DATE_COLUMN.test(name) ? excelSerialDate(cell) : (values[i] ?? '');
        }
        yield [{ line: row.number, record }];
      }
      if (!header) throw new MalformedFileError('line 1: the worksheet is empty (no header row)');
      return; // the first worksheet holds the data
    }
  } catch (error) {
    if (error instanceof MalformedFileError) throw error;
    throw new MalformedFileError(
      `not a readable .xlsx workbook: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  throw new MalformedFileError('the workbook has no worksheet');
}

/**
 * Streams a CSV (UTF-8, with or without BOM) or XLSX file — a path or a byte stream — as batches of
 * records keyed by header, checked against the schema's columns (CONTRACT.md). Throws MalformedFileError for a file
 * that cannot be read as a whole.
 */
export function readRecordBatches(
  source: string | Readable,
  kind: FileKind,
  schema: FileSchema,
): AsyncGenerator<NumberedRecord[]> {
  return kind === 'csv' ? csvRecords(source, schema) : xlsxRecords(source, schema);
}

/** readRecordBatches one record at a time (small files, tests). */
export async function* readRecords(
  source: string | Readable,
  kind: FileKind,
  schema: FileSchema,
): AsyncGenerator<NumberedRecord> {
  for await (const batch of readRecordBatches(source, kind, schema)) yield* batch;
}

/** readRecords over in-memory bytes (tests, small uploads). */
export function readRecordsFromBuffer(
  bytes: Buffer | string,
  kind: FileKind,
  schema: FileSchema,
): AsyncGenerator<NumberedRecord> {
  return readRecords(Readable.from([typeof bytes === 'string' ? Buffer.from(bytes) : bytes]), kind, schema);
}
