import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Config, dataPaths, repoRoot } from '../../platform/config';
import {
  isAlive,
  ownedByAnotherLiveCommand,
  readServiceRecord,
  removeServiceRecord,
  stopProcess,
  writeServiceRecord,
} from './processes';

export interface BankHandle {
  url: string;
  /** True when this is the bundled simulator (development and tests), not a real bank. */
  simulated: boolean;
  owned: boolean;
  pid?: number;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs the simulator (simulators/bank-gateway/main.ts) as a process of its own, like PostgreSQL and
 * Temporal: it outlives the command that started it while other commands use it, and is supervised.
 */
export async function startBankSimulator(config: Config, log: (line: string) => void): Promise<number> {
  const paths = dataPaths(config);
  mkdirSync(paths.logs, { recursive: true });
  const logFile = path.join(paths.logs, 'bank-gateway.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath, // The ledger folder on the command line (main.ts ignores it) names the stack the process belongs to.
    ['--import', 'tsx', path.join(repoRoot, 'simulators', 'bank-gateway', 'main.ts'), paths.bank],
    {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        BANK_SIM_PORT: String(config.BANK_SIM_PORT),
        BANK_SIM_DIR: paths.bank,
        BANK_SIM_HOST: '127.0.0.1',
      },
    },
  );
  closeSync(fd);
  const pid = child.pid;
  if (!pid) throw new Error('could not start the bank-gateway simulator');
  child.unref();
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code ?? -1));
  const deadline = Date.now() + 120_000;
  while (!(await listening(config.BANK_SIM_PORT))) {
    if (exitCode !== undefined) throw new Error(`the bank-gateway simulator exited (code ${exitCode}); see ${logFile}`);
    if (Date.now() > deadline)
      throw new Error(
        `the bank-gateway simulator did not listen on ${config.BANK_SIM_PORT} within 2 minutes; see ${logFile}`,
      );
    await sleep(100);
  }
  writeServiceRecord(paths.run, 'bank-gateway', {
    pid,
    ownerPid: process.pid,
    port: config.BANK_SIM_PORT,
    startedAt: new Date().toISOString(),
  });
  log(`bank gateway simulator on http://127.0.0.1:${config.BANK_SIM_PORT} (ledger in ${paths.bank}, pid ${pid})`);
  return pid;
}

export async function stopBankSimulator(config: Config, pid: number): Promise<void> {
  await stopProcess(pid, 'SIGTERM');
  removeServiceRecord(dataPaths(config).run, 'bank-gateway');
}

/**
 * The bank's payment gateway: BANK_GATEWAY_URL when given; otherwise the bundled simulator, with its
 * ledger under DATA_DIR — reused while it runs, started otherwise.
 */
export async function ensureBankGateway(config: Config, log: (line: string) => void): Promise<BankHandle> {
  if (config.BANK_GATEWAY_URL)
    return { url: config.BANK_GATEWAY_URL, simulated: false, owned: false, stop: async () => {} };
  const paths = dataPaths(config);
  const record = readServiceRecord(paths.run, 'bank-gateway');
  if (record && isAlive(record.pid) && record.pid !== record.ownerPid) {
    const owned = !ownedByAnotherLiveCommand(record);
    if (owned) writeServiceRecord(paths.run, 'bank-gateway', { ...record, ownerPid: process.pid });
    const pid = record.pid;
    return {
      url: `http://127.0.0.1:${record.port}`,
      simulated: true,
      owned,
      pid,
      stop: owned ? () => stopBankSimulator(config, pid) : async () => {},
    };
  }
  const pid = await startBankSimulator(config, log);
  return {
    url: `http://127.0.0.1:${config.BANK_SIM_PORT}`,
    simulated: true,
    owned: true,
    pid,
    stop: () => stopBankSimulator(config, pid),
  };
}
