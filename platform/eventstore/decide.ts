import { type EventStore, foldEvents } from './store';
import { ConcurrencyError, type EventMetadata, type NewEvent, type StoredEvent } from './types';

/** How a small stream decides: its state folded from its events, and a decision on that state. */
export interface StreamDecision<State> {
  initial: State;
  evolve(state: State, event: StoredEvent): State;
  /** The events to append (none: already decided, e.g. a retry after the append committed); throws to refuse. */
  decide(state: State): NewEvent[];
}

const ATTEMPTS = 5;

/**
 * Fold → decide → append with the version the decision saw. A writer that appended in between makes the append
 * fail with ConcurrencyError: the stream is read and the command decided again, on the newer state.
 */
export async function decideOnStream<State>(
  store: EventStore,
  streamId: string,
  decision: StreamDecision<State>,
  metadata: EventMetadata,
): Promise<{ state: State; appended: NewEvent[] }> {
  for (let attempt = 1; ; attempt++) {
    const events = await store.readStream(streamId);
    const state = foldEvents(events, decision.evolve, decision.initial);
    const next = decision.decide(state);
    if (next.length === 0) return { state, appended: [] };
    try {
      await store.append(streamId, next, { expectedVersion: events.at(-1)?.streamVersion ?? 0, metadata });
      return { state, appended: next };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt === ATTEMPTS) throw error;
    }
  }
}
