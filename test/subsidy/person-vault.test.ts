import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersonVault } from '../../platform/db/person-vault';
import { piiKeysFrom } from '../../platform/security/pii-key';
import { createTestDatabase, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
let vault: PersonVault;
const idNumber = '41100219500101001X';

beforeAll(async () => {
  testDb = await createTestDatabase('vault');
  vault = new PersonVault(testDb.db, piiKeysFrom(randomBytes(32)));
});
afterAll(() => testDb.drop());

describe('person vault', () => {
  it('names a person by a keyed hash that is stable, case-insensitive on the check digit, and key-dependent', () => {
    const ref = vault.personRef(idNumber);
    expect(ref).toMatch(/^[0-9a-f]{32}$/);
    expect(vault.personRef(idNumber.toLowerCase())).toBe(ref);
    expect(new PersonVault(testDb.db, piiKeysFrom(randomBytes(32))).personRef(idNumber)).not.toBe(ref);
  });

  it('stores only ciphertext, and gives the secrets back to the key holder', async () => {
    const personRef = vault.personRef(idNumber);
    await vault.putMany([
      { personRef, secrets: { idNumber, name: '张桂兰', bankCode: 'ICBC', accountNo: '6222020200001234567' } },
    ]);
    const raw = await sql<{
      dump: string;
    }>`select encode(sealed, 'escape') || key_id as dump from person_vault`.execute(testDb.db);
    expect(raw.rows[0]!.dump).not.toContain(idNumber);
    expect(raw.rows[0]!.dump).not.toContain('6222020200001234567');
    expect((await vault.getMany([personRef])).get(personRef)).toMatchObject({
      idNumber,
      accountNo: '6222020200001234567',
    });
    await vault.update(personRef, { accountNo: '6222020200009999999' });
    expect((await vault.getMany([personRef])).get(personRef)?.accountNo).toBe('6222020200009999999');
  });

  it('refuses a tampered record (authenticated encryption)', () => {
    const sealed = vault.seal({ idNumber, name: 'x', bankCode: 'b', accountNo: '1' });
    sealed[sealed.length - 1]! ^= 1;
    expect(() => vault.open(sealed)).toThrow();
  });
});
