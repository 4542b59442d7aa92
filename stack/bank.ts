import { startBankGateway } from '../simulators/bank-gateway';
import { dataPaths, type Config } from './config';
import { ownedByAnotherLiveCommand, readServiceRecord, removeServiceRecord, writeServiceRecord } from './processes';

export interface BankHandle {
  url: string;
  /** True when this is the bundled simulator (development and tests), not a real bank. */
  simulated: boolean;
  stop(): Promise<void>;
}

/**
 * The bank's payment gateway: BANK_GATEWAY_URL when given; otherwise the bundled simulator, with its
 * ledger under DATA_DIR — reused while another live command runs it, started in this process otherwise.
 */
export async function ensureBankGateway(config: Config, log: (line: string) => void): Promise<BankHandle> {
  if (config.BANK_GATEWAY_URL) return { url: config.BANK_GATEWAY_URL, simulated: false, stop: async () => {} };
  const paths = dataPaths(config);
  const record = readServiceRecord(paths.run, 'bank-gateway');
  if (record && ownedByAnotherLiveCommand(record)) {
    return { url: `http://127.0.0.1:${record.port}`, simulated: true, stop: async () => {} };
  }
  const simulator = await startBankGateway({ host: '127.0.0.1', port: config.BANK_SIM_PORT, journalDir: paths.bank });
  const port = Number(new URL(simulator.url).port);
  writeServiceRecord(paths.run, 'bank-gateway', { pid: process.pid, ownerPid: process.pid, port, startedAt: new Date().toISOString() });
  log(`bank gateway simulator on ${simulator.url} (ledger in ${paths.bank})`);
  return {
    url: simulator.url,
    simulated: true,
    stop: async () => {
      await simulator.close();
      removeServiceRecord(paths.run, 'bank-gateway');
    },
  };
}
