import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadConfig } from '../config';
import { EncryptionCodec } from '../security/codec';
import { type KeyRing, loadPayloadKeyRing } from '../security/keyring';

let keyRing: KeyRing | undefined;

/** Sets the payload key ring of this process (startStack does, from its config). */
export function usePayloadKeyRing(ring: KeyRing): void {
  keyRing = ring;
}

/** The payload key ring of this process: the one set by startStack, else PAYLOAD_KEYS or DATA_DIR/keys. */
export function payloadKeyRing(): KeyRing {
  keyRing ??= loadPayloadKeyRing(loadConfig());
  return keyRing;
}

/**
 * The one data converter for every client and worker: payloads are encrypted (AES-256-GCM, platform/security/codec.ts)
 * the same way everywhere, so Temporal's store and Web UI hold ciphertext only, and histories written by
 * one process are read by all. Payloads recorded before encryption still decode (they pass unchanged).
 */
export function dataConverter(): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(payloadKeyRing())] };
}

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace, dataConverter: dataConverter() });
}
