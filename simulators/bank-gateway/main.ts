import path from 'node:path';
import { startBankGateway } from './server';

// Runs the bank-gateway simulator on its own: `npx tsx simulators/bank-gateway/main.ts`.
// BANK_SIM_PORT (default 4010), BANK_SIM_DIR (default .data/bank-gateway), BANK_SIM_HOST,
// BANK_SIM_SETTLEMENT_MS (default 200), BANK_SIM_FAULTS (JSON, as POST /admin/faults).

function intFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

try {
  const journalDir = path.resolve(process.env.BANK_SIM_DIR || path.join('.data', 'bank-gateway'));
  const gateway = await startBankGateway({
    host: process.env.BANK_SIM_HOST || '127.0.0.1',
    port: intFrom('BANK_SIM_PORT', 4010),
    journalDir,
    settlementDelayMs: intFrom('BANK_SIM_SETTLEMENT_MS', 200),
    ...(process.env.BANK_SIM_FAULTS ? { faults: JSON.parse(process.env.BANK_SIM_FAULTS) } : {}),
    logger: true,
  });
  console.log(`bank gateway simulator on ${gateway.url} (ledger in ${journalDir})`);
  const stop = () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`bank gateway simulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
