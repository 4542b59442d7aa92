import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { selfApplicationSource } from '../activities/compute';
import type { SubsidyDeps } from '../context';
import { validateStayRow } from '../rules';
import { shanghaiToday } from '../rules/calendar';

export interface SelfApplicationInput {
  recordId: string;
  idNumber: string;
  hospital: string;
  admissionDate: string;
  dischargeDate: string;
  /** References to the supporting documents the county holds (第七条: 未参加医保 apply in person). */
  documents: string[];
}

export class SelfApplicationRejected extends Error {
  override name = 'SelfApplicationRejected';
}

/**
 * Stores a county-entered self-application as an input row of the cycle (never in a workflow
 * payload: it holds an ID number) and returns its id for the review workflow's update.
 */
export async function registerSelfApplication(
  deps: Pick<SubsidyDeps, 'db' | 'vault'>,
  cycleId: string,
  input: SelfApplicationInput,
  enteredBy: string,
): Promise<string> {
  const checked = validateStayRow(
    {
      record_id: input.recordId,
      id_number: input.idNumber,
      name: '',
      hospital: input.hospital,
      admission_date: input.admissionDate,
      discharge_date: input.dischargeDate,
      exclusion: '',
    },
    { today: shanghaiToday() },
  );
  if (!checked.ok) throw new SelfApplicationRejected(`${checked.reason}: ${checked.detail}`);
  const source = selfApplicationSource(cycleId);
  const row = await deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${source}))`.execute(trx);
    const last = await trx
      .selectFrom('extract_rows')
      .select((eb) => eb.fn.max('line_no').as('n'))
      .where('extract_hash', '=', source)
      .executeTakeFirst();
    const lineNo = Number(last?.n ?? 0) + 1;
    await trx
      .insertInto('extract_rows')
      .values({
        extract_hash: source,
        line_no: lineNo,
        record_id: checked.row.recordId,
        person_ref: deps.vault.personRef(checked.row.idNumber),
        hospital: checked.row.hospital,
        admission_date: checked.row.admissionDate,
        discharge_date: checked.row.dischargeDate,
        exclusion: null,
        self_application: JSON.stringify({ documents: input.documents, enteredBy }),
        content_hash: createHash('sha1').update(JSON.stringify(input)).digest('base64'),
        quarantine_reason: null,
        quarantine_detail: null,
      })
      .execute();
    return lineNo;
  });
  return `${source}#${row}`;
}
