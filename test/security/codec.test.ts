import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EncryptionCodec,
  METADATA_KEY_ID,
  PayloadDecryptionError,
  payloadFromJson,
  payloadToJson,
} from '../../platform/security/codec';
import {
  formatKeyRing,
  generatePayloadKey,
  loadPayloadKeyRing,
  parseKeyRing,
  payloadKeyFile,
  rotatePayloadKeyFile,
} from '../../platform/security/keyring';
import { maskAccount, maskIdNumber, maskPersonalData } from '../../platform/security/masking';

const SYNTHETIC_ID = '41100219500101001X';
const value = { idNumber: SYNTHETIC_ID, name: '张三', nights: 12 };
const plain = () => defaultPayloadConverter.toPayload(value);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('latin1');

describe('payload codec (AES-256-GCM)', () => {
  const old = generatePayloadKey();
  const fresh = generatePayloadKey();
  const ringOld = parseKeyRing(formatKeyRing([old]));
  const ringRotated = parseKeyRing(formatKeyRing([fresh, old]));

  it('encrypts: no plaintext in the payload, the key id in the metadata, and decrypts back', async () => {
    const codec = new EncryptionCodec(ringOld);
    const [sealed] = await codec.encode([plain()]);
    expect(text(sealed!.data)).not.toContain(SYNTHETIC_ID);
    expect(text(sealed!.metadata?.[METADATA_KEY_ID])).toBe(old.id);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(value);
  });

  it('rotation: the new key encrypts, payloads sealed with the old key still decrypt', async () => {
    const [sealedOld] = await new EncryptionCodec(ringOld).encode([plain()]);
    const rotated = new EncryptionCodec(ringRotated);
    const [sealedNew] = await rotated.encode([plain()]);
    expect(text(sealedNew!.metadata?.[METADATA_KEY_ID])).toBe(fresh.id);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([sealedOld!]))[0]!)).toEqual(value);
    // A ring that dropped the old key cannot read what it sealed.
    const withoutOld = new EncryptionCodec(parseKeyRing(formatKeyRing([fresh])));
    await expect(withoutOld.decode([sealedOld!])).rejects.toBeInstanceOf(PayloadDecryptionError);
  });

  it('refuses altered ciphertext and a relabelled key id', async () => {
    const codec = new EncryptionCodec(ringRotated);
    const [sealed] = await codec.encode([plain()]);
    const altered = Buffer.from(sealed!.data!);
    altered[20] = altered[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: altered }])).rejects.toThrow(/failed authentication/);
    const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, [METADATA_KEY_ID]: Buffer.from(old.id) } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
  });

  it('passes payloads that were never encrypted (histories recorded before encryption)', async () => {
    const p = plain();
    expect(await new EncryptionCodec(ringOld).decode([p])).toEqual([p]);
  });

  it('round-trips the codec-server JSON form', async () => {
    const [sealed] = await new EncryptionCodec(ringOld).encode([plain()]);
    const json = payloadToJson(sealed!);
    expect(payloadToJson(payloadFromJson(json))).toEqual(json);
    const [opened] = await new EncryptionCodec(ringOld).decode([payloadFromJson(json)]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(value);
  });
});

describe('payload key ring', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects malformed rings without echoing key material', () => {
    expect(() => parseKeyRing('')).toThrow(/empty/);
    expect(() => parseKeyRing('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyRing('no-id-here')).toThrow(/id:base64/);
    const k = generatePayloadKey();
    expect(() => parseKeyRing(formatKeyRing([k, k]))).toThrow(/twice/);
    try {
      parseKeyRing(`bad id:${k.key.toString('base64')}`);
    } catch (error) {
      expect(String(error)).not.toContain(k.key.toString('base64'));
    }
  });

  it('the embedded stack generates one ring under DATA_DIR/keys (mode 600), stable across loads; rotation keeps old keys', () => {
    const config = { DATA_DIR: dir, PAYLOAD_KEYS: undefined };
    const first = loadPayloadKeyRing(config);
    expect(statSync(payloadKeyFile(config)).mode & 0o777).toBe(0o600);
    expect(loadPayloadKeyRing(config).active.id).toBe(first.active.id);
    const added = rotatePayloadKeyFile(config);
    const after = loadPayloadKeyRing(config);
    expect(after.active.id).toBe(added.id);
    expect(after.keys.get(first.active.id)).toEqual(first.active.key);
  });

  it('PAYLOAD_KEYS from the environment wins and is never written to disk', () => {
    const k = generatePayloadKey();
    const other = mkdtempSync(path.join(os.tmpdir(), 'xuchang-keys-env-'));
    try {
      expect(loadPayloadKeyRing({ DATA_DIR: other, PAYLOAD_KEYS: formatKeyRing([k]) }).active.id).toBe(k.id);
      expect(() => statSync(payloadKeyFile({ DATA_DIR: other }))).toThrow();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('masking', () => {
  it('masks ID numbers and accounts, by field name and inside free text', () => {
    expect(maskIdNumber(SYNTHETIC_ID)).toBe('4110**********001X');
    expect(maskAccount('6217000010001234567')).toBe('***************4567');
    expect(
      maskPersonalData({
        person: { id_number: SYNTHETIC_ID, accountNo: '6217000010001234567' },
        note: `申请人 ${SYNTHETIC_ID} 已核实`,
        nights: 3,
      }),
    ).toEqual({
      person: { id_number: '4110**********001X', accountNo: '***************4567' },
      note: '申请人 4110**********001X 已核实',
      nights: 3,
    });
  });
});

describe('the test processes', () => {
  it('encrypt with the committed TEST-ONLY ring, never a key generated into the repository', async () => {
    const { payloadKeyRing } = await import('../../platform/temporal/client');
    expect(payloadKeyRing().active.id).toBe('TEST-ONLY-not-secret');
  });
});
