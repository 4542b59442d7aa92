import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema';
import { eventHash, type StoredEvent, toStoredEvent } from '../../platform/eventstore';
import { cycleIdFor } from '../../subsidy/contracts/definitions';

export interface ExportFilter {
  /** Events of streams whose id starts with this (e.g. a listing's stream). */
  streamPrefix?: string;
  /** A subsidy quarter (`2025Q3`): its cycle's streams and its back-pay runs. */
  quarter?: string;
}

/** The stream-id prefixes a filter selects; empty means every event. */
export function exportPrefixes(filter: ExportFilter): string[] {
  const prefixes: string[] = [];
  if (filter.streamPrefix) prefixes.push(filter.streamPrefix);
  if (filter.quarter) prefixes.push(cycleIdFor(filter.quarter), `subsidy-backpay-${filter.quarter}-`);
  return prefixes;
}

const likePattern = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The selected events in global order, each with its prevHash and hash: every line can be checked
 * offline (SHA-256 of the RFC 8785 canonical JSON of its fields and prevHash), and an unfiltered
 * export is the whole chain.
 */
export async function* exportEvents(
  db: Kysely<Database>,
  filter: ExportFilter,
  pageSize = 2_000,
): AsyncGenerator<StoredEvent> {
  const prefixes = exportPrefixes(filter);
  let after = '0';
  for (;;) {
    let query = db
      .selectFrom('events')
      .selectAll()
      .where('position', '>', after as never);
    if (prefixes.length > 0) {
      query = query.where((eb) => eb.or(prefixes.map((p) => eb('stream_id', 'like', likePattern(p)))));
    }
    const rows = await query.orderBy('position').limit(pageSize).execute();
    for (const row of rows) yield toStoredEvent(row);
    if (rows.length < pageSize) return;
    after = String(rows[rows.length - 1]!.position);
  }
}

/** One JSON line of an export. */
export function exportLine(event: StoredEvent): string {
  return `${JSON.stringify(event)}\n`;
}

export interface ExportCheck {
  lines: number;
  /** Lines whose hash does not match their content (1-based line, and the event's position). */
  mismatches: { line: number; position: string }[];
  /** Consecutive positions whose prevHash is not the hash before (only meaningful for an unfiltered export). */
  breaks: { line: number; position: string }[];
}

/** The offline check of an export: each line's hash from its own content, and the links between neighbours. */
export function checkExport(lines: Iterable<string>): ExportCheck {
  const result: ExportCheck = { lines: 0, mismatches: [], breaks: [] };
  let previous: StoredEvent | undefined;
  for (const raw of lines) {
    if (raw.trim() === '') continue;
    result.lines += 1;
    const e = JSON.parse(raw) as StoredEvent;
    const { eventId, streamId, streamVersion, type, data, metadata, recordedAt } = e;
    if (eventHash(e.prevHash, { eventId, streamId, streamVersion, type, data, metadata, recordedAt }) !== e.hash) {
      result.mismatches.push({ line: result.lines, position: e.position });
    }
    if (previous && BigInt(e.position) === BigInt(previous.position) + 1n && e.prevHash !== previous.hash) {
      result.breaks.push({ line: result.lines, position: e.position });
    }
    previous = e;
  }
  return result;
}
