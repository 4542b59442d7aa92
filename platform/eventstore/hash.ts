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
 * JSON makes the hash independent of key order and of how PostgreSQL's jsonb stores the document,
 * so an auditor can recompute it from an export with any JCS implementation.
 */
export function eventHash(prevHash: string, fields: HashedFields): string {
  const canonical = canonicalize({ prevHash, ...fields });
  if (canonical === undefined) throw new Error('event cannot be canonicalised');
  return createHash('sha256').update(canonical).digest('hex');
}

const EVENT_ID_NAMESPACE = '6f1c0f0e-3b0a-5d7e-9a51-2b8f4c1d7e90';

/** A deterministic event id from the parts that identify the fact, so a retried activity appends nothing new. */
export function eventIdFor(...parts: (string | number)[]): string {
  return uuidv5(parts.join('\u001f'), EVENT_ID_NAMESPACE);
}
