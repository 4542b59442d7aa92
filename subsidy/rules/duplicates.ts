import { type RawRecord, STAY_COLUMNS } from './rows';

// Duplicate records within one extract file. The database path (subsidy/activities/ingest.ts) applies
// the same rule with SQL over the ingested rows; this is the in-memory form for tests, the CLI and the
// benchmark. The rule, precisely:
//  1. Rows are grouped by record_id (trimmed). A row with an empty record_id is never grouped (it is
//     already quarantined as missing_field).
//  2. A row's content is its raw field values, untrimmed, in column order (stayContent). Two rows are
//     an exact repeat when their contents are equal.
//  3. If a group holds two or more different contents, every row of the group that passed row
//     validation is quarantined as duplicate_conflict: none of the versions can be trusted.
//     Rows already quarantined for another reason keep that reason (but still count as a version).
//  4. Otherwise (all copies identical) the first line that passed validation counts and every later
//     copy is quarantined as duplicate_record, naming the line it repeats.

export type DuplicateReason = 'duplicate_conflict' | 'duplicate_record';

export interface DuplicateVerdict {
  reason: DuplicateReason;
  detail: string;
}

/** The content two rows are compared by: raw values in CONTRACT.md column order. */
export function stayContent(raw: RawRecord): string {
  let out = '';
  for (let i = 0; i < STAY_COLUMNS.length; i++) out += (i === 0 ? '' : '\u001f') + (raw[STAY_COLUMNS[i]!] ?? '');
  return out;
}

const NUMERIC_ID = /^[1-9]\d{0,14}$/;

/** Growable Int32 column (no object per row). */
class IntColumn {
  private data = new Int32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const wider = new Int32Array(this.data.length * 2);
      wider.set(this.data);
      this.data = wider;
    }
    this.data[this.length++] = value;
  }
  at(i: number): number {
    return this.data[i]!;
  }
}

/**
 * Streaming form: add rows in file order, then finish(). Memory is a map entry and a few array slots per
 * distinct record_id, and 5 bytes per row — no object, and no string kept, per row (a numeric record id
 * is keyed by its value). `content` may be the content string or any exact stand-in for it (e.g. a
 * strong hash).
 */
export class DuplicateClassifier {
  private readonly groupOf = new Map<string | number, number>();
  private readonly firstRow = new IntColumn();
  private readonly key: (string | number)[] = [];
  private readonly conflict = new Set<number>();
  /** Rows of the groups that have more than one, by group. */
  private readonly members = new Map<number, number[]>();
  private readonly lines = new IntColumn();
  private quarantined = new Uint8Array(1024);
  private rows = 0;

  /** Registers the next row; returns its index (0-based, in the order added). */
  add(row: { recordId: string; content: string | number; quarantined: boolean; line?: number }): number {
    const index = this.rows++;
    this.lines.push(row.line ?? index + 1);
    if (index === this.quarantined.length) {
      const wider = new Uint8Array(index * 2);
      wider.set(this.quarantined);
      this.quarantined = wider;
    }
    this.quarantined[index] = row.quarantined ? 1 : 0;
    const recordId = row.recordId.trim();
    if (recordId === '') return index;
    // "12345" and 12345 are the same id; "012345" stays text, so it is never confused with "12345".
    const id = NUMERIC_ID.test(recordId) ? Number(recordId) : recordId;
    const group = this.groupOf.get(id);
    if (group === undefined) {
      this.groupOf.set(id, this.firstRow.length);
      this.firstRow.push(index);
      this.key.push(row.content);
      return index;
    }
    const rows = this.members.get(group);
    if (rows) rows.push(index);
    else this.members.set(group, [this.firstRow.at(group), index]);
    if (row.content !== this.key[group]) this.conflict.add(group);
    return index;
  }

  /** The verdicts, by row index, for the rows the rule quarantines; rows not in the map are unaffected. */
  finish(): Map<number, DuplicateVerdict> {
    const verdicts = new Map<number, DuplicateVerdict>();
    for (const [group, rows] of this.members) {
      if (this.conflict.has(group)) {
        const lines = rows.map((r) => this.lines.at(r));
        const shown = lines.length > 6 ? `${lines.slice(0, 6).join(', ')} …` : lines.join(', ');
        for (const r of rows) {
          if (this.quarantined[r]) continue;
          verdicts.set(r, {
            reason: 'duplicate_conflict',
            detail: `record_id: the same id appears with different content on lines ${shown}`,
          });
        }
        continue;
      }
      let first: number | undefined;
      for (const r of rows) {
        if (this.quarantined[r]) continue;
        if (first === undefined) first = r;
        else
          verdicts.set(r, {
            reason: 'duplicate_record',
            detail: `record_id: exact repeat of line ${this.lines.at(first)}`,
          });
      }
    }
    return verdicts;
  }
}

/** In-memory form over a whole list (index i of the result is row i; null when unaffected). */
export function classifyDuplicates(
  rows: readonly { recordId: string; content: string | number; quarantined: boolean; line?: number }[],
): (DuplicateVerdict | null)[] {
  const classifier = new DuplicateClassifier();
  for (const row of rows) classifier.add(row);
  const verdicts = classifier.finish();
  return rows.map((_, i) => verdicts.get(i) ?? null);
}
