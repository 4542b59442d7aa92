import { hash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import { type CopyStreamQuery, from as copyFrom } from 'pg-copy-streams';
import { inspectHead, MalformedFileError, readRecordBatches } from '../adapters/files';
import { openUpload, type StoredUpload } from '../adapters/uploads';
import { activityMetadata, type SubsidyDeps, SYSTEM_ACTOR, subsidyEvent } from '../context';
import { streams } from '../contracts/events';
import { checkIdNumber, validateStayRow } from '../rules';
import { shanghaiToday } from '../rules/calendar';
import { type BulkRun, closeHard, connect, lockFor, startBulkRun } from './bulk';

export interface IngestResult {
  total: number;
  valid: number;
  quarantined: number;
}

const COPY_COLUMNS = [
  'extract_hash',
  'line_no',
  'record_id',
  'person_ref',
  'hospital',
  'admission_date',
  'discharge_date',
  'exclusion',
  'content_hash',
  'quarantine_reason',
  'quarantine_detail',
] as const;

/** Text COPY … (FORMAT csv) must quote: a quote, comma, line break, or nothing at all (which would read as NULL). */
const NEEDS_QUOTES = /["\n\r,]|^$/;

/** One CSV field for COPY … (FORMAT csv): null unquoted (→ NULL), text quoted only when it must be. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

type PersonRefOf = (idNumber: string) => string;

/**
 * The vault's keyed hash, remembered for the persons of one ingest: a person's stays come many to
 * an extract, and the hash is a third of the per-row work. Bounded, so memory stays flat.
 */
function rememberedPersonRefs(deps: SubsidyDeps): PersonRefOf {
  const known = new Map<string, string>();
  return (idNumber) => {
    let ref = known.get(idNumber);
    if (ref === undefined) {
      if (known.size >= 200_000) known.clear();
      ref = deps.vault.personRef(idNumber);
      known.set(idNumber, ref);
    }
    return ref;
  };
}

/** A quarantined row keeps its person reference when its ID number is sound, so its county can read why. */
function quarantinedPersonRef(personRefOf: PersonRefOf, idNumber: string | undefined): string | null {
  const id = checkIdNumber(idNumber ?? '');
  return id.ok ? personRefOf(id.idNumber) : null;
}

/** Rows per committed chunk: a retry resumes after the last committed chunk. */
const CHECKPOINT_ROWS = 20_000;
/** Rows per write to the COPY stream. */
const WRITE_ROWS = 2_000;

export interface IngestCheckpoint {
  /** The last line committed to extract_rows (0: none). */
  line: number;
  rows: number;
}

/**
 * Streams a stored extract into `extract_rows` with COPY, validating every row on the way: a valid
 * row keeps its person reference (never the ID number), a bad one its quarantine reason. A file
 * that cannot be read (encoding, columns, not CSV) fails at once, non-retryable, naming the line
 * and column; its head is inspected before any COPY starts. Rows are committed in chunks: a retry
 * (after a crash or a lost connection) resumes after the last committed line. Duplicate record ids
 * are classified at the end in one set-based pass. A second call for a loaded file does nothing.
 */
export async function ingestExtractFile(
  deps: SubsidyDeps,
  input: { cycleId: string; extractHash: string },
): Promise<IngestResult> {
  const existing = await loadedExtract(deps, input.extractHash);
  if (existing) return recordIngested(deps, input, existing);

  const upload = await openUpload(deps, input.extractHash);
  const kind = upload.kind;
  const label = `extract ${input.extractHash.slice(0, 12)}.${kind}`;
  try {
    inspectHead(upload.head, upload.size, kind, 'hospitalizations');
  } catch (error) {
    throw rejected(label, error);
  }

  const run = startBulkRun<IngestCheckpoint>({ line: 0, rows: 0 });
  const client = await connect(deps.databaseUrl);
  try {
    await lockFor(client, `ingest:${input.extractHash}`, run.signal);
    // The attempt that held the lock may have finished the job.
    const done = await loadedExtract(deps, input.extractHash);
    if (done) return await recordIngested(deps, input, done);

    // The committed rows are the checkpoint (chunks commit whole, in line order); the heartbeat
    // details report it, and may lag behind by a chunk.
    const committed = await client.query<{ line: number | null; rows: string }>(
      'select max(line_no) as line, count(*) as rows from extract_rows where extract_hash = $1',
      [input.extractHash],
    );
    const resume: IngestCheckpoint = { line: committed.rows[0]!.line ?? 0, rows: Number(committed.rows[0]!.rows) };
    run.checkpoint(resume);
    const loaded = await copyRows(deps, client, { extractHash: input.extractHash, upload, resume }, run);

    await client.query('begin');
    await client.query('analyze extract_rows');
    await classifyDuplicates(client, input.extractHash);
    const counts = await client.query<{ valid: string }>(
      'select count(*) filter (where quarantine_reason is null) as valid from extract_rows where extract_hash = $1',
      [input.extractHash],
    );
    const valid = Number(counts.rows[0]!.valid);
    const fileName = `${input.extractHash}.${kind}`;
    await client.query(
      'insert into extracts (extract_hash, file_name, rows_total, rows_valid, rows_quarantined) values ($1, $2, $3, $4, $5)',
      [input.extractHash, fileName, loaded.rows, valid, loaded.rows - valid],
    );
    await client.query('commit');
    return await recordIngested(deps, input, {
      file_name: fileName,
      rows_total: loaded.rows,
      rows_valid: valid,
      rows_quarantined: loaded.rows - valid,
    });
  } catch (error) {
    if (error instanceof MalformedFileError) {
      // Nothing of a file that cannot be read is kept; the cycle waits for a corrected one.
      await client.query('rollback').catch(() => {});
      await client.query('delete from extract_rows where extract_hash = $1', [input.extractHash]).catch(() => {});
      throw rejected(label, error);
    }
    throw error;
  } finally {
    run.stop();
    await endQuietly(client);
  }
}

/** A file a retry cannot fix: the cycle records the reason and waits for a corrected upload. */
function rejected(label: string, error: unknown): Error {
  if (!(error instanceof MalformedFileError)) return error as Error;
  return ApplicationFailure.create({
    message: `${label}: ${error.message}`,
    type: 'MalformedFile',
    nonRetryable: true,
    details: [error.message],
  });
}

async function loadedExtract(deps: SubsidyDeps, extractHash: string) {
  return deps.db.selectFrom('extracts').selectAll().where('extract_hash', '=', extractHash).executeTakeFirst();
}

/**
 * Reads the file from the top, skips the lines already committed, and COPYs the rest in chunks of
 * CHECKPOINT_ROWS, each in its own transaction. Any failure aborts the COPY at once (CopyFail, or
 * the connection is closed): a rollback queued behind an unfinished COPY would wait forever.
 */
async function copyRows(
  deps: SubsidyDeps,
  client: pg.Client,
  job: { extractHash: string; upload: StoredUpload; resume: IngestCheckpoint },
  run: BulkRun<IngestCheckpoint>,
): Promise<IngestCheckpoint> {
  const today = shanghaiToday();
  const personRefOf = rememberedPersonRefs(deps);
  let done = { ...job.resume };
  let copy: CopyStreamQuery | undefined;
  let copyFailed: Error | undefined;
  let inChunk = 0;
  let lastLine = done.line;
  let batch = '';
  const onAbort = () => closeHard(client);
  run.signal.addEventListener('abort', onAbort, { once: true });
  const source = job.upload.stream();

  const write = async (text: string) => {
    if (copyFailed) throw copyFailed;
    if (!copy!.write(text)) await once(copy!, 'drain');
  };
  const commitChunk = async () => {
    if (!copy) return;
    if (batch) await write(batch);
    batch = '';
    copy.end();
    await finished(copy);
    await client.query('commit');
    copy = undefined;
    done = { line: lastLine, rows: done.rows + inChunk };
    inChunk = 0;
    run.checkpoint(done);
  };
  try {
    for await (const records of readRecordBatches(source, job.upload.kind, 'hospitalizations')) {
      if (run.signal.aborted) throw run.signal.reason;
      for (const { line, record } of records) {
        if (line <= job.resume.line) continue; // committed by an earlier attempt
        if (!copy) {
          await client.query('begin');
          copy = client.query(copyFrom(`copy extract_rows (${COPY_COLUMNS.join(', ')}) from stdin with (format csv)`));
          copy.on('error', (error: Error) => (copyFailed = error));
        }
        batch += rowText(personRefOf, job.extractHash, line, record, today);
        inChunk++;
        lastLine = line;
        if (inChunk % WRITE_ROWS === 0) {
          await write(batch);
          batch = '';
        }
        if (inChunk >= (deps.ingestCheckpointRows ?? CHECKPOINT_ROWS)) await commitChunk();
      }
    }
    await commitChunk();
    return done;
  } catch (error) {
    if (copy) await abortCopy(client, copy);
    if (run.signal.aborted) throw run.signal.reason;
    throw error;
  } finally {
    source.destroy();
    run.signal.removeEventListener('abort', onAbort);
  }
}

/** One extract row as a line of COPY … (FORMAT csv). */
function rowText(
  personRefOf: PersonRefOf,
  extractHash: string,
  line: number,
  record: Record<string, string>,
  today: string,
): string {
  const contentHash = hash('sha1', Object.values(record).join('\u001f'), 'base64');
  const checked = validateStayRow(record, { today });
  const recordId = (record.record_id ?? '').trim();
  const fields: (string | number | null)[] = checked.ok
    ? [
        extractHash,
        line,
        checked.row.recordId,
        personRefOf(checked.row.idNumber),
        checked.row.hospital,
        checked.row.admissionDate,
        checked.row.dischargeDate,
        checked.row.exclusion,
        contentHash,
        null,
        null,
      ]
    : [
        extractHash,
        line,
        recordId,
        quarantinedPersonRef(personRefOf, record.id_number),
        null,
        null,
        null,
        null,
        contentHash,
        checked.reason,
        checked.detail,
      ];
  return `${fields.map(csvField).join(',')}\n`;
}

/** Sends CopyFail and rolls back; if the server does not answer within seconds, drops the connection. */
async function abortCopy(client: pg.Client, copy: CopyStreamQuery): Promise<void> {
  copy.destroy();
  const settled = await Promise.race([
    finished(copy).then(
      () => true,
      () => true,
    ),
    delay(5_000).then(() => false),
  ]);
  if (!settled) return closeHard(client);
  const rolledBack = await Promise.race([
    client.query('rollback').then(
      () => true,
      () => false,
    ),
    delay(5_000).then(() => false),
  ]);
  if (!rolledBack) closeHard(client);
}

async function endQuietly(client: pg.Client): Promise<void> {
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => true,
    ),
    delay(5_000).then(() => false),
  ]);
  if (!ended) closeHard(client);
}

/**
 * A record id seen with different content cannot be trusted in any of its copies; an exact repeat
 * counts once (the first line) and the repeats are quarantined. One pass over the extract with
 * window functions (per-row re-evaluated GROUP BYs made ingest quadratic).
 */
export async function classifyDuplicates(client: pg.Client, extractHash: string): Promise<void> {
  await client.query(
    `with classified as materialized (
       select line_no, quarantine_reason,
              min(content_hash) over w <> max(content_hash) over w as conflict,
              min(line_no) filter (where quarantine_reason is null) over w as first_line
         from extract_rows
        where extract_hash = $1
       window w as (partition by record_id))
     update extract_rows r
        set quarantine_reason = case when c.conflict then 'duplicate_conflict' else 'duplicate_record' end,
            quarantine_detail = case when c.conflict then 'record_id appears with different content on other lines'
                                     else 'exact repeat of line ' || c.first_line end
       from classified c
      where r.extract_hash = $1 and r.line_no = c.line_no
        and c.quarantine_reason is null and (c.conflict or c.line_no > c.first_line)`,
    [extractHash],
  );
}

async function recordIngested(
  deps: SubsidyDeps,
  input: { cycleId: string; extractHash: string },
  loaded: { file_name: string; rows_total: number; rows_valid: number; rows_quarantined: number },
): Promise<IngestResult> {
  await deps.store.append(
    streams.cycle(input.cycleId),
    [
      subsidyEvent(
        'ExtractIngested',
        {
          cycleId: input.cycleId,
          extractHash: input.extractHash,
          fileName: loaded.file_name,
          total: loaded.rows_total,
          valid: loaded.rows_valid,
          quarantined: loaded.rows_quarantined,
        },
        input.cycleId,
        input.extractHash,
      ),
    ],
    { metadata: activityMetadata(SYSTEM_ACTOR) },
  );
  return { total: loaded.rows_total, valid: loaded.rows_valid, quarantined: loaded.rows_quarantined };
}
