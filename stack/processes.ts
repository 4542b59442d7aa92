import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** True when a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal and waits until the process is gone; escalates to SIGKILL after the grace period. */
export async function stopProcess(pid: number, signal: NodeJS.Signals = 'SIGINT', graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

/**
 * A service record under DATA_DIR/run: which process runs the service and which command owns it.
 * A command reuses a service whose owner is alive (another `npm start`), and adopts — and later
 * stops — one whose owner died (for example after a SIGKILL), so nothing is left behind.
 */
export interface ServiceRecord {
  pid: number;
  ownerPid: number;
  port: number;
  startedAt: string;
}

export function serviceFile(runDir: string, service: string): string {
  return path.join(runDir, `${service}.json`);
}

export function readServiceRecord(runDir: string, service: string): ServiceRecord | undefined {
  try {
    return JSON.parse(readFileSync(serviceFile(runDir, service), 'utf8')) as ServiceRecord;
  } catch {
    return undefined;
  }
}

export function writeServiceRecord(runDir: string, service: string, record: ServiceRecord): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(serviceFile(runDir, service), JSON.stringify(record, null, 2));
}

export function removeServiceRecord(runDir: string, service: string): void {
  rmSync(serviceFile(runDir, service), { force: true });
}

/** Whether a running service is owned by a live command other than this one. */
export function ownedByAnotherLiveCommand(record: ServiceRecord | undefined): boolean {
  return !!record && record.ownerPid !== process.pid && isAlive(record.ownerPid);
}
