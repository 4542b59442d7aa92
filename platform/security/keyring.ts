import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Config, dataPaths } from '../config';

/**
 * The keys that encrypt Temporal payloads (workflow and activity inputs, results, signals).
 * Written `id:base64,id:base64,…`: the first key encrypts, every key decrypts, so a rotation puts a
 * new key first and keeps the old ones for the histories they wrote.
 */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

export interface KeyRing {
  /** The key new payloads are encrypted with. */
  active: PayloadKey;
  /** Every key by id, the active one included. */
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class KeyRingError extends Error {
  override name = 'KeyRingError';
}

/** Parses `id:base64,…` (commas or new lines between keys); the first key is the active one. */
export function parseKeyRing(text: string): KeyRing {
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '' && !e.startsWith('#'));
  if (entries.length === 0) throw new KeyRingError('payload key ring is empty');
  const keys = new Map<string, Buffer>();
  const ordered: PayloadKey[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    // Never echo the key material in an error: only the id, or the entry's position.
    if (!KEY_ID.test(id))
      throw new KeyRingError(
        `payload key #${ordered.length + 1}: expected id:base64 with an id of letters, digits, . _ -`,
      );
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new KeyRingError(`payload key ${id}: must be 32 bytes (base64), got ${key.length}`);
    if (keys.has(id)) throw new KeyRingError(`payload key ${id}: listed twice`);
    keys.set(id, key);
    ordered.push({ id, key });
  }
  return { active: ordered[0]!, keys };
}

export function formatKeyRing(keys: readonly PayloadKey[]): string {
  return keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
}

/** A fresh key whose id says when it was made (ids only need to be unique within a ring). */
export function generatePayloadKey(now = new Date()): PayloadKey {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return { id: `k${day}-${randomBytes(3).toString('hex')}`, key: randomBytes(32) };
}

export function payloadKeyFile(config: Pick<Config, 'DATA_DIR'>): string {
  return path.join(dataPaths(config).keys, 'payload.keys');
}

/**
 * PAYLOAD_KEYS from the environment; for the embedded stack, a ring generated once under
 * DATA_DIR/keys (mode 600). Never from the repository.
 */
export function loadPayloadKeyRing(config: Pick<Config, 'DATA_DIR' | 'PAYLOAD_KEYS'>): KeyRing {
  if (config.PAYLOAD_KEYS) return parseKeyRing(config.PAYLOAD_KEYS);
  const file = payloadKeyFile(config);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${formatKeyRing([generatePayloadKey()])}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process of the same stack created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return parseKeyRing(readFileSync(file, 'utf8'));
}

/**
 * Rotation for the embedded stack: a new key goes first in DATA_DIR/keys/payload.keys; the old ones
 * stay so that existing histories still decrypt. Processes pick the new key up when they restart.
 */
export function rotatePayloadKeyFile(config: Pick<Config, 'DATA_DIR' | 'PAYLOAD_KEYS'>): PayloadKey {
  if (config.PAYLOAD_KEYS)
    throw new KeyRingError(
      'PAYLOAD_KEYS is set: rotate it where it is configured (put a new key first, keep the old ones)',
    );
  const ring = loadPayloadKeyRing(config);
  const fresh = generatePayloadKey();
  const rest = [...ring.keys].map(([id, key]) => ({ id, key }));
  writeFileSync(payloadKeyFile(config), `${formatKeyRing([fresh, ...rest])}\n`, { mode: 0o600 });
  return fresh;
}
