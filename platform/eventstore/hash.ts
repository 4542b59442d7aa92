import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { v5 as uuidv5 } from 'uuid';

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedFields {
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: unknown;
  metadata: unknown;
  recordedAt: string;
}

/**
 * SHA-256 over the RFC 8785 canonical JSON of the event and the previous event's hash. Canonical
 * JSON makes the hash independent of key order and of how PostgreSQL stores the document (jsonb before 0013),
 * so an auditor can recompute it from an export with any JCS implementation.
 */
export function eventHash(prevHash: string, fields: HashedFields): string {
  return hashedEvent(prevHash, fields).hash;
}

/**
 * The hash, and the event's data as canonical JSON (valid JSON, so the store writes it as is):
 * the data — nearly all of a bulk event — is serialised once, for both. "data" is the first key
 * in canonical order, so the envelope is the canonical envelope with the data spliced in first.
 */
export function hashedEvent(prevHash: string, fields: HashedFields): { hash: string; data: string } {
  const data = canonicalData(fields.data);
  const envelope = canonicalize({ prevHash, ...fields, data: null });
  if (envelope === undefined || !envelope.startsWith(EMPTY_DATA)) throw new Error('event cannot be canonicalised');
  const canonical = `{"data":${data}${envelope.slice(EMPTY_DATA.length - 1)}`;
  return { hash: createHash('sha256').update(canonical).digest('hex'), data };
}
const EMPTY_DATA = '{"data":null,';

// Canonical data by the data object it was made from. An event's data is not changed once built,
// so the text made ahead of an append (prepareEvents) is the text the append hashes and stores.
const serialised = new WeakMap<object, string>();

function canonicalData(data: unknown): string {
  const made = typeof data === 'object' && data !== null ? serialised.get(data) : undefined;
  if (made !== undefined) return made;
  const text = canonicalize(data);
  if (text === undefined) throw new Error('event data cannot be canonicalised');
  return text;
}

/**
 * Serialises the events' data ahead of their append — while an earlier append still holds the
 * store's chain lock, say — so that the append itself, which runs under the lock, only hashes.
 */
export function prepareEvents(events: readonly { data: object }[]): void {
  for (const event of events) {
    if (serialised.has(event.data)) continue;
    const text = canonicalize(event.data);
    if (text !== undefined) serialised.set(event.data, text);
  }
}

const EVENT_ID_NAMESPACE = '6f1c0f0e-3b0a-5d7e-9a51-2b8f4c1d7e90';

/** A deterministic event id from the parts that identify the fact, so a retried activity appends nothing new. */
export function eventIdFor(...parts: (string | number)[]): string {
  return uuidv5(parts.join('\u001f'), EVENT_ID_NAMESPACE);
}
