import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BankGatewayClient, createBankClient, type PaymentInstruction } from '../../platform/adapters/bank';
import { type BankGatewayOptions, type LedgerEntryView, startBankGateway } from '../../simulators/bank-gateway';

export interface Ledger {
  counts: {
    entries: number;
    submittedRecords: number;
    pending: number;
    settled: number;
    failed: number;
    rejected: number;
    conflictsRefused: number;
  };
  settledFen: number;
  pendingFen: number;
  failedFen: number;
  entries: LedgerEntryView[];
}

export interface Bank {
  url: string;
  dir: string;
  client: BankGatewayClient;
  admin: {
    faults(body: unknown): Promise<unknown>;
    close(accountNo: string): Promise<void>;
    reopen(accountNo: string): Promise<void>;
    settle(): Promise<number>;
    ledger(): Promise<Ledger>;
    byAccount(accountNo: string): Promise<{ accountRef: string; closed: boolean; entries: LedgerEntryView[] }>;
  };
  restart(options?: Partial<BankGatewayOptions>): Promise<void>;
  close(): Promise<void>;
}

/** A real simulator on a random port with its journal in a temp dir, and the real client pointed at it. */
export async function startBank(
  options: Partial<BankGatewayOptions> & { timeoutMs?: number; chunkSize?: number } = {},
): Promise<Bank> {
  const dir = options.journalDir ?? mkdtempSync(path.join(os.tmpdir(), 'bank-test-'));
  const { timeoutMs, chunkSize, ...gatewayOptions } = options;
  let gateway = await startBankGateway({ port: 0, settlementDelayMs: 50, ...gatewayOptions, journalDir: dir });
  const bank: Bank = {
    url: gateway.url,
    dir,
    client: createBankClient({
      baseUrl: gateway.url,
      timeoutMs: timeoutMs ?? 2_000,
      ...(chunkSize ? { chunkSize } : {}),
    }),
    admin: {
      faults: (body) => adminCall('POST', '/admin/faults', body),
      close: async (accountNo) => void (await adminCall('POST', `/admin/accounts/${accountNo}/close`)),
      reopen: async (accountNo) => void (await adminCall('POST', `/admin/accounts/${accountNo}/reopen`)),
      settle: async () => ((await adminCall('POST', '/admin/settle')) as { settled: number }).settled,
      ledger: async () => (await adminCall('GET', '/admin/ledger')) as Ledger,
      byAccount: async (accountNo) =>
        (await adminCall('POST', '/admin/ledger/by-account', { accountNo })) as Awaited<
          ReturnType<Bank['admin']['byAccount']>
        >,
    },
    restart: async (more = {}) => {
      await gateway.close();
      gateway = await startBankGateway({ port: 0, settlementDelayMs: 50, ...gatewayOptions, ...more, journalDir: dir });
      bank.url = gateway.url;
      bank.client = createBankClient({ baseUrl: gateway.url, timeoutMs: timeoutMs ?? 2_000 });
    },
    close: async () => {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  async function adminCall(method: string, pathname: string, body?: unknown): Promise<unknown> {
    const response = await fetch(new URL(pathname, bank.url), {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${await response.text()}`);
    return response.json();
  }
  return bank;
}

let serial = 0;
/** A valid instruction with a fresh key and a fresh 19-digit social-security-card account. */
export function instruction(overrides: Partial<PaymentInstruction> = {}): PaymentInstruction {
  serial++;
  return {
    idempotencyKey: `pay-${serial}#1`,
    bankCode: 'ICBC',
    accountNo: `621700000${String(serial).padStart(10, '0')}`,
    accountName: '张桂兰',
    amountFen: 150_00 * ((serial % 5) + 1),
    memo: '2025Q3 住院护理扶助',
    ...overrides,
  };
}

export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
