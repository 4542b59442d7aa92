import { createHash } from 'node:crypto';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ApplicationFailure } from '@temporalio/activity';
import { MalformedFileError, readRecords } from '../../adapters/files';
import { checkIdNumber, validateStayRow } from '../../domain/subsidy';
import { shanghaiToday } from '../../domain/calendar';
import { streams } from '../../projections/subsidy/events';
import { heartbeat, activityMetadata, subsidyEvent, SYSTEM_ACTOR, type SubsidyDeps } from './context';
import { uploadPath } from './uploads';

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

/** One CSV field for COPY … (FORMAT csv): null unquoted (→ NULL), text always quoted. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return `"${value.replaceAll('"', '""')}"`;
}

/** A quarantined row keeps its person reference when its ID number is sound, so its county can read why. */
function quarantinedPersonRef(deps: SubsidyDeps, idNumber: string | undefined): string | null {
  const id = checkIdNumber(idNumber ?? '');
  return id.ok ? deps.vault.personRef(id.idNumber) : null;
}

/**
 * Streams a stored extract into `extract_rows` with COPY, validating every row on the way: a valid
 * row keeps its person reference (never the ID number), a bad one its quarantine reason. Duplicate
 * record ids are classified afterwards in SQL. One transaction, keyed by the file hash: a retry after
 * a crash starts over cleanly, and a second call for a loaded file does nothing.
 */
export async function ingestExtractFile(deps: SubsidyDeps, input: { cycleId: string; extractHash: string }): Promise<IngestResult> {
  const existing = await deps.db.selectFrom('extracts').selectAll().where('extract_hash', '=', input.extractHash).executeTakeFirst();
  if (existing) {
    await recordIngested(deps, input, existing.file_name, existing);
    return { total: existing.rows_total, valid: existing.rows_valid, quarantined: existing.rows_quarantined };
  }

  const { file, kind } = uploadPath(deps.uploadsDir, input.extractHash);
  const today = shanghaiToday();
  const client = new pg.Client({ connectionString: deps.databaseUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('delete from extract_rows where extract_hash = $1', [input.extractHash]);
    const copy = client.query(copyFrom(`copy extract_rows (${COPY_COLUMNS.join(', ')}) from stdin with (format csv)`));
    const finished = new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve);
      copy.on('error', reject);
    });
    let total = 0;
    let batch = '';
    const flush = async () => {
      if (batch && !copy.write(batch)) await new Promise((resolve) => copy.once('drain', resolve));
      batch = '';
    };
    for await (const { line, record } of readRecords(file, kind, 'hospitalizations')) {
      total++;
      const contentHash = createHash('sha1').update(Object.values(record).join('\u001f')).digest('base64');
      const checked = validateStayRow(record, { today });
      const recordId = (record.record_id ?? '').trim();
      const fields: (string | number | null)[] = checked.ok
        ? [
            input.extractHash,
            line,
            checked.row.recordId,
            deps.vault.personRef(checked.row.idNumber),
            checked.row.hospital,
            checked.row.admissionDate,
            checked.row.dischargeDate,
            checked.row.exclusion,
            contentHash,
            null,
            null,
          ]
        : [input.extractHash, line, recordId, quarantinedPersonRef(deps, record.id_number), null, null, null, null, contentHash, checked.reason, checked.detail];
      batch += `${fields.map(csvField).join(',')}\n`;
      if (total % 2_000 === 0) {
        await flush();
        if (total % 50_000 === 0) heartbeat({ rows: total });
      }
    }
    await flush();
    copy.end();
    await finished;

    // A record id seen with different content cannot be trusted in any of its copies; an exact
    // repeat counts once (the first line) and the repeats are quarantined.
    await client.query(
      `update extract_rows r set quarantine_reason = 'duplicate_conflict',
              quarantine_detail = 'record_id appears with different content on other lines'
         from (select record_id from extract_rows where extract_hash = $1
                group by record_id having count(distinct content_hash) > 1) c
        where r.extract_hash = $1 and r.record_id = c.record_id and r.quarantine_reason is null`,
      [input.extractHash],
    );
    await client.query(
      `update extract_rows r set quarantine_reason = 'duplicate_record',
              quarantine_detail = 'exact repeat of line ' || f.first_line
         from (select record_id, min(line_no) as first_line from extract_rows
                where extract_hash = $1 and quarantine_reason is null group by record_id having count(*) > 1) f
        where r.extract_hash = $1 and r.record_id = f.record_id and r.line_no > f.first_line and r.quarantine_reason is null`,
      [input.extractHash],
    );
    const counts = await client.query<{ valid: string }>(
      'select count(*) filter (where quarantine_reason is null) as valid from extract_rows where extract_hash = $1',
      [input.extractHash],
    );
    const valid = Number(counts.rows[0]!.valid);
    const fileName = `${input.extractHash}.${kind}`;
    await client.query(
      'insert into extracts (extract_hash, file_name, rows_total, rows_valid, rows_quarantined) values ($1, $2, $3, $4, $5)',
      [input.extractHash, fileName, total, valid, total - valid],
    );
    await client.query('commit');
    const result = { total, valid, quarantined: total - valid };
    await recordIngested(deps, input, fileName, { rows_total: total, rows_valid: valid, rows_quarantined: total - valid });
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    // A malformed file stays malformed: retrying cannot help, the operator must upload a good one.
    if (error instanceof MalformedFileError) throw ApplicationFailure.nonRetryable(`extract rejected: ${error.message}`, 'MalformedFile');
    throw error;
  } finally {
    await client.end();
  }
}

async function recordIngested(
  deps: SubsidyDeps,
  input: { cycleId: string; extractHash: string },
  fileName: string,
  counts: { rows_total: number; rows_valid: number; rows_quarantined: number },
): Promise<void> {
  await deps.store.append(
    streams.cycle(input.cycleId),
    [
      subsidyEvent(
        'ExtractIngested',
        { cycleId: input.cycleId, extractHash: input.extractHash, fileName, total: counts.rows_total, valid: counts.rows_valid, quarantined: counts.rows_quarantined },
        input.cycleId,
        input.extractHash,
      ),
    ],
    { metadata: activityMetadata(SYSTEM_ACTOR) },
  );
}
