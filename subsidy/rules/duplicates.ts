import { type RawRecord, STAY_COLUMNS } from './rows';

// Duplicate records are classified by ONE implementation: the set-based SQL in subsidy/activities/ingest.ts
// (`classifyDuplicates`), tested through ingest on PostgreSQL (test/subsidy/duplicates.test.ts). What is left
// here serves only the whole-cycle convenience in ./cycle.ts, which is being removed: delete this file with it.

export interface DuplicateVerdict {
  reason: 'duplicate_conflict' | 'duplicate_record';
  detail: string;
}

/** The content two rows are compared by: raw values in CONTRACT.md column order. */
export function stayContent(raw: RawRecord): string {
  return STAY_COLUMNS.map((column) => raw[column] ?? '').join('\u001f');
}

/** Index i of the result is row i; null when unaffected. Same rule as the SQL in ingest. */
export function classifyDuplicates(
  rows: readonly { recordId: string; content: string; quarantined: boolean; line?: number }[],
): (DuplicateVerdict | null)[] {
  const groups = new Map<string, number[]>();
  rows.forEach((row, index) => {
    const recordId = row.recordId.trim();
    if (recordId === '') return;
    const group = groups.get(recordId);
    if (group) group.push(index);
    else groups.set(recordId, [index]);
  });
  const verdicts: (DuplicateVerdict | null)[] = rows.map(() => null);
  for (const group of groups.values()) {
    const conflict = group.some((index) => rows[index]!.content !== rows[group[0]!]!.content);
    const counted = group.filter((index) => !rows[index]!.quarantined);
    const lineOf = (index: number) => rows[index]!.line ?? index + 1;
    for (const [position, index] of counted.entries()) {
      if (conflict)
        verdicts[index] = {
          reason: 'duplicate_conflict',
          detail: 'record_id appears with different content on other lines',
        };
      else if (position > 0)
        verdicts[index] = { reason: 'duplicate_record', detail: `exact repeat of line ${lineOf(counted[0]!)}` };
    }
  }
  return verdicts;
}
