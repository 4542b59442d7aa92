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
 * The hash, and the event's data as the UTF-8 bytes of its canonical JSON (valid JSON, so the store writes
 * them as they are): the data — nearly all of a bulk event — is serialised and encoded once, for both.
 * "data" is the first key in canonical order, so the envelope is the canonical envelope with the data
 * spliced in first; the hash runs over the same bytes in three parts.
 */
export function hashedEvent(prevHash: string, fields: HashedFields): { hash: string; data: Buffer } {
  const data = canonicalData(fields.data);
  const envelope = canonicalJson({ prevHash, ...fields, data: null });
  if (envelope === undefined || !envelope.startsWith(EMPTY_DATA)) throw new Error('event cannot be canonicalised');
  const hash = createHash('sha256')
    .update('{"data":')
    .update(data)
    .update(envelope.slice(EMPTY_DATA.length - 1))
    .digest('hex');
  return { hash, data };
}
const EMPTY_DATA = '{"data":null,';

// Canonical data by the data object it was made from. An event's data is not changed once built,
// so the bytes made ahead of an append (prepareEvents) are the bytes the append hashes and stores.
const serialised = new WeakMap<object, Buffer>();

function canonicalData(data: unknown): Buffer {
  const made = typeof data === 'object' && data !== null ? serialised.get(data) : undefined;
  if (made !== undefined) return made;
  const text = canonicalJson(data);
  if (text === undefined) throw new Error('event data cannot be canonicalised');
  return Buffer.from(text);
}

/**
 * Serialises the events' data ahead of their append — while an earlier append still holds the
 * store's chain lock, say — so that the append itself, which runs under the lock, only hashes.
 */
export function prepareEvents(events: readonly { data: object }[]): void {
  for (const event of events) {
    if (!serialised.has(event.data)) serialised.set(event.data, canonicalData(event.data));
  }
}

/**
 * RFC 8785 canonical JSON, made by the engine's JSON.stringify when the document is plain data (objects,
 * arrays, strings, finite numbers, booleans, null): given every key of the document, sorted, as its property
 * list, it writes each object's keys in that order, the canonical one, and it writes strings and numbers as
 * the reference does (which calls it for them). Anything else goes to `canonicalize`, the reference. A bulk
 * event's data is mostly arrays of strings and numbers: the reference built it piece by piece, several times
 * slower, and left the garbage to collect.
 */
export function canonicalJson(value: unknown): string | undefined {
  const keys = new Set<string>();
  // Every object is asked for every key of the list: a document of many distinct keys (a map by id) goes the other way.
  if (!plainData(value, keys) || keys.size > MAX_LISTED_KEYS) return canonicalize(value);
  return JSON.stringify(value, [...keys].sort());
}

const MAX_LISTED_KEYS = 100;

/** Whether the value is plain data that both ways write alike; collects its objects' keys. */
function plainData(value: unknown, keys: Set<string>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined': // left out of an object, null in an array, by both
      return true;
    case 'number':
      return Number.isFinite(value); // the reference refuses NaN and Infinity
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!plainData(item, keys)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false; // a Date, a class: its toJSON decides
  for (const key in value) {
    if (key in Object.prototype) return false; // a key such as "constructor" would be read from every object
    keys.add(key);
    if (!plainData((value as Record<string, unknown>)[key], keys)) return false;
  }
  return true;
}

const EVENT_ID_NAMESPACE = '6f1c0f0e-3b0a-5d7e-9a51-2b8f4c1d7e90';

/** A deterministic event id from the parts that identify the fact, so a retried activity appends nothing new. */
export function eventIdFor(...parts: (string | number)[]): string {
  return uuidv5(parts.join('\u001f'), EVENT_ID_NAMESPACE);
}
