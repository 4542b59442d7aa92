import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { GENESIS_HASH, hashedEvent } from './hash';
import {
  ConcurrencyError,
  type EventMetadata,
  type ExpectedVersion,
  IdempotencyConflictError,
  type NewEvent,
  type StoredEvent,
} from './types';

/**
 * A projection keeps query tables in step with the events, in the same transaction as the append.
 * `rebuild` (auditors) replays every event through the same `apply` into a fresh schema and compares.
 */
export interface Projection {
  name: string;
  /** The query tables this projection writes (compared by the rebuild). */
  tables: readonly string[];
  apply(db: Kysely<Database>, events: readonly StoredEvent[]): Promise<void>;
}

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
  metadata: EventMetadata;
}

export interface AppendResult {
  /** False when every event was already in the stream (an idempotent retry). */
  appended: boolean;
  /** The stream's version after the append. */
  version: number;
  events: StoredEvent[];
}

// One chain for the whole store: appends take this lock so each row can hash its predecessor.
const APPEND_LOCK = 0x65766e74; // 'evnt'
const INSERT_CHUNK = 2_000;

type EventRow = {
  position: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
  prev_hash: string;
  hash: string;
};

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: String(row.position),
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    data: row.data,
    metadata: row.metadata as EventMetadata,
    recordedAt: row.recorded_at.toISOString(),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export class EventStore {
  constructor(
    readonly db: Kysely<Database>,
    private readonly projections: readonly Projection[] = [],
  ) {}

  /** Appends in a transaction of its own. */
  append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    return this.db.transaction().execute((trx) => this.appendWithin(trx, streamId, events, options));
  }

  /**
   * Appends inside the caller's transaction, so query-table writes and events commit together.
   * Idempotent by event id: if every event is already stored, nothing happens; if only some are,
   * the caller has a bug and gets an IdempotencyConflictError rather than a half-duplicated stream.
   */
  async appendWithin(
    trx: Transaction<Database>,
    streamId: string,
    events: readonly NewEvent[],
    { expectedVersion = 'any', metadata }: AppendOptions,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
    // Under the lock, one round trip: whether these events are stored already, the stream's
    // version and the chain's last hash (a statement after the lock, so its snapshot sees every
    // append committed before the lock was granted).
    const ids = events.map((e) => e.eventId);
    const state = await sql<{ stored: number; version: number | null; last: string | null }>`
      select (select count(*)::int from events where event_id = any(${ids}::uuid[])) as stored,
             (select max(stream_version) from events where stream_id = ${streamId}) as version,
             (select hash from events order by position desc limit 1) as last`.execute(trx);
    const { stored: alreadyStored, version, last } = state.rows[0]!;
    if (alreadyStored > 0) {
      const existing = await trx
        .selectFrom('events')
        .selectAll()
        .where('event_id', 'in', ids)
        .orderBy('position')
        .execute();
      const sameStream = existing.every((row) => row.stream_id === streamId);
      if (existing.length !== events.length || !sameStream) {
        throw new IdempotencyConflictError(
          `stream ${streamId}: ${existing.length} of ${events.length} event ids already stored${sameStream ? '' : ' in another stream'}`,
        );
      }
      return { appended: false, version: Number(version ?? 0), events: existing.map(toStoredEvent) };
    }

    const current = Number(version ?? 0);
    const mismatch =
      (expectedVersion === 'no_stream' && current !== 0) ||
      (typeof expectedVersion === 'number' && current !== expectedVersion);
    if (mismatch) throw new ConcurrencyError(streamId, expectedVersion, current);

    let prevHash = last ?? GENESIS_HASH;
    const recordedAt = new Date().toISOString();
    const rows = events.map((event, index) => {
      const fields = {
        eventId: event.eventId,
        streamId,
        streamVersion: current + index + 1,
        type: event.type,
        data: event.data,
        metadata,
        recordedAt,
      };
      const { hash, data } = hashedEvent(prevHash, fields);
      const row = {
        event_id: fields.eventId,
        stream_id: streamId,
        stream_version: fields.streamVersion,
        type: fields.type,
        data,
        metadata: JSON.stringify(metadata),
        recorded_at: recordedAt,
        prev_hash: prevHash,
        hash,
      };
      prevHash = hash;
      return row;
    });

    // Only the positions come back: the rest is what was just written (a large event is not read back).
    const stored: StoredEvent[] = [];
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const inserted = await trx
        .insertInto('events')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .returning(['position', 'event_id'])
        .execute();
      const positions = new Map(inserted.map((row) => [row.event_id, String(row.position)]));
      rows.slice(i, i + INSERT_CHUNK).forEach((written, k) => {
        const event = events[i + k]!;
        stored.push({
          position: positions.get(event.eventId)!,
          eventId: event.eventId,
          streamId,
          streamVersion: written.stream_version,
          type: event.type,
          data: event.data,
          metadata,
          recordedAt,
          prevHash: written.prev_hash,
          hash: written.hash,
        });
      });
    }
    for (const projection of this.projections) await projection.apply(trx, stored);
    return { appended: true, version: current + events.length, events: stored };
  }

  async version(streamId: string): Promise<number> {
    return this.versionWithin(this.db, streamId);
  }

  private async versionWithin(db: Kysely<Database>, streamId: string): Promise<number> {
    const row = await db
      .selectFrom('events')
      .select((eb) => eb.fn.max('stream_version').as('version'))
      .where('stream_id', '=', streamId)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('stream_id', '=', streamId)
      .where('stream_version', '>=', fromVersion)
      .orderBy('stream_version')
      .execute();
    return rows.map(toStoredEvent);
  }

  /** Every event in global order, page by page, so a long history never sits in memory at once. */
  async *readAll(
    options: { fromPosition?: string; pageSize?: number; streamPrefix?: string } = {},
  ): AsyncGenerator<StoredEvent> {
    const pageSize = options.pageSize ?? 1_000;
    let after = options.fromPosition ? String(BigInt(options.fromPosition) - 1n) : '0';
    for (;;) {
      let query = this.db
        .selectFrom('events')
        .selectAll()
        .where('position', '>', after as never);
      if (options.streamPrefix) query = query.where('stream_id', 'like', `${options.streamPrefix}%`);
      const rows = await query.orderBy('position').limit(pageSize).execute();
      for (const row of rows) yield toStoredEvent(row);
      if (rows.length < pageSize) return;
      after = String(rows[rows.length - 1]!.position);
    }
  }
}

/** Folds a stream into state: the one way state is derived from events. */
export function foldEvents<State, E extends StoredEvent | NewEvent>(
  events: Iterable<E>,
  evolve: (state: State, event: E) => State,
  initial: State,
): State {
  let state = initial;
  for (const event of events) state = evolve(state, event);
  return state;
}
