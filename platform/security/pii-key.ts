import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Config, dataPaths } from '../config';

/** Keys protecting personal data at rest: one for the pseudonymous person reference, one for sealing. */
export interface PiiKeys {
  /** HMAC key: person_ref = HMAC-SHA256(refKey, ID number). Never rotated (refs must stay stable). */
  refKey: Buffer;
  /** AES-256-GCM key for the person vault, and its id (stored beside each sealed record). */
  sealKeyId: string;
  sealKey: Buffer;
}

export function piiKeysFrom(master: Buffer): PiiKeys {
  if (master.length !== 32) throw new Error('PII_KEY must be 32 bytes (base64)');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  const sealKey = derive('xuchang/person-vault/seal');
  return {
    refKey: derive('xuchang/person-ref'),
    sealKey,
    sealKeyId: createHash('sha256').update(sealKey).digest('hex').slice(0, 12),
  };
}

/** PII_KEY from the environment; for the embedded stack, a key generated once under DATA_DIR/keys. */
export function loadPiiKeys(config: Config): PiiKeys {
  if (config.PII_KEY) return piiKeysFrom(Buffer.from(config.PII_KEY, 'base64'));
  const file = path.join(dataPaths(config).keys, 'pii.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return piiKeysFrom(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
}
