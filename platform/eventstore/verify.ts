import { eventHash, GENESIS_HASH } from './hash';
import type { EventStore } from './store';

export type ChainVerdict =
  | { ok: true; count: number; lastHash: string }
  | { ok: false; count: number; position: string; reason: string };

/**
 * Walks the whole chain in position order and recomputes every hash: an edited, deleted, inserted
 * or reordered row breaks it at the first position that no longer matches.
 */
export async function verifyChain(store: EventStore): Promise<ChainVerdict> {
  let prevHash = GENESIS_HASH;
  let count = 0;
  // Pages of 200: a bulk event carries a thousand rows, and 5,000 of them were over a gigabyte at once.
  for await (const event of store.readAll({ pageSize: 200 })) {
    if (event.prevHash !== prevHash) {
      return {
        ok: false,
        count,
        position: event.position,
        reason: 'previous-hash link broken (a row before it was removed or altered)',
      };
    }
    const recomputed = eventHash(prevHash, {
      eventId: event.eventId,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      type: event.type,
      data: event.data,
      metadata: event.metadata,
      recordedAt: event.recordedAt,
    });
    if (recomputed !== event.hash) {
      return {
        ok: false,
        count,
        position: event.position,
        reason: 'content does not match its hash (the row was altered)',
      };
    }
    prevHash = event.hash;
    count += 1;
  }
  return { ok: true, count, lastHash: prevHash };
}
