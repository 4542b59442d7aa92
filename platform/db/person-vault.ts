import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { PiiKeys } from '../security/pii-key';
import type { Db } from './database';

/** What the system must know about a person that nobody else may read. */
export interface PersonSecrets {
  idNumber: string;
  name: string;
  bankCode: string;
  accountNo: string;
}

/**
 * The only place personal data is stored: events, query tables and workflow payloads name a person
 * by `personRef`, a keyed hash of the ID number (信息不外泄, 第十条).
 */
/** Nonces drawn per refill: one call to the CSPRNG serves many seals (a call per seal cost more than the cipher). */
const NONCES_PER_DRAW = 4_096;
const NONCE_BYTES = 12;

export class PersonVault {
  private nonces = Buffer.alloc(0);
  private nonceAt = 0;

  constructor(
    private readonly db: Db,
    private readonly keys: PiiKeys,
  ) {}

  /** A fresh random 96-bit GCM nonce; each is handed out once. */
  private nextNonce(): Buffer {
    if (this.nonceAt + NONCE_BYTES > this.nonces.length) {
      this.nonces = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
      this.nonceAt = 0;
    }
    const nonce = this.nonces.subarray(this.nonceAt, this.nonceAt + NONCE_BYTES);
    this.nonceAt += NONCE_BYTES;
    return nonce;
  }

  personRef(idNumber: string): string {
    return createHmac('sha256', this.keys.refKey).update(idNumber.toUpperCase()).digest('hex').slice(0, 32);
  }

  seal(secrets: PersonSecrets): Buffer {
    return this.sealValue(secrets);
  }

  open(sealed: Buffer): PersonSecrets {
    return this.openValue<PersonSecrets>(sealed);
  }

  /** Id of the key that seals now (stored beside sealed values elsewhere: payment instructions, corrections). */
  get sealKeyId(): string {
    return this.keys.sealKeyId;
  }

  /** Seals any JSON value with the vault's key (AES-256-GCM: iv, tag, body). */
  sealValue(value: unknown): Buffer {
    const iv = this.nextNonce();
    const cipher = createCipheriv('aes-256-gcm', this.keys.sealKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  openValue<T>(sealed: Buffer): T {
    const decipher = createDecipheriv('aes-256-gcm', this.keys.sealKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')) as T;
  }

  /**
   * A keyed hash of personal data (an account, with what it pays): safe to record in events, so an
   * auditor holding the key can prove which content was sent without the events revealing it.
   */
  digest(...parts: readonly (string | number)[]): string {
    return createHmac('sha256', this.keys.refKey).update(parts.join('\u001f')).digest('hex').slice(0, 32);
  }

  /** Stores (or replaces) the secrets of many persons in one statement (three array parameters, however many persons). */
  async putMany(entries: readonly { personRef: string; secrets: PersonSecrets }[]): Promise<void> {
    if (entries.length === 0) return;
    const refs = entries.map((e) => e.personRef);
    // Base64 text: the driver's escaping of a bytea[] parameter cost more than sealing.
    const sealed = entries.map((e) => this.seal(e.secrets).toString('base64'));
    await sql`
      insert into person_vault (person_ref, key_id, sealed)
      select ref, ${this.keys.sealKeyId}, decode(body, 'base64')
        from unnest(${refs}::text[], ${sealed}::text[]) as v(ref, body)
      on conflict (person_ref) do update
        set key_id = excluded.key_id, sealed = excluded.sealed, updated_at = now()`.execute(this.db);
  }

  /**
   * The secrets of these persons. `db` is the caller's transaction when it has one: a transaction
   * that waited for a second connection of the pool could wait for ever once every connection is
   * held by such a transaction.
   */
  async getMany(personRefs: readonly string[], db: Db = this.db): Promise<Map<string, PersonSecrets>> {
    const found = new Map<string, PersonSecrets>();
    for (let i = 0; i < personRefs.length; i += 5_000) {
      const rows = await db
        .selectFrom('person_vault')
        .select(['person_ref', 'sealed'])
        .where('person_ref', '=', sql<string>`any(${personRefs.slice(i, i + 5_000)}::text[])`)
        .execute();
      for (const row of rows) found.set(row.person_ref, this.open(row.sealed));
    }
    return found;
  }

  async update(personRef: string, change: Partial<Omit<PersonSecrets, 'idNumber'>>): Promise<void> {
    const current = (await this.getMany([personRef])).get(personRef);
    if (!current) throw new Error(`no person ${personRef}`);
    await this.putMany([{ personRef, secrets: { ...current, ...change } }]);
  }
}
