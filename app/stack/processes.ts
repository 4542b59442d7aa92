import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** The processes whose working directory is `dir` (PostgreSQL's backends run in their data directory). */
export function processesIn(dir: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids; // no /proc (macOS): nothing to find
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * A lock file under DATA_DIR/run serialising start-up and shutdown decisions of the commands sharing
 * a DATA_DIR (two CLIs at once on a fresh DATA_DIR must not both start PostgreSQL). The holder's pid
 * is inside; a lock whose holder died is taken over.
 */
export async function withRunLock<T>(
  runDir: string,
  log: (line: string) => void,
  work: () => Promise<T>,
  timeoutMs = 10 * 60_000,
): Promise<T> {
  mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, 'stack.lock');
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim() || '0');
      if (holder === process.pid) break;
      if (!isAlive(holder)) {
        // Its holder died (killed mid-start): the lock is stale. Rename first so only one taker wins.
        try {
          renameSync(file, `${file}.stale-${process.pid}`);
          rmSync(`${file}.stale-${process.pid}`, { force: true });
        } catch {
          // another command took it over first
        }
        continue;
      }
      if (!told) {
        log(`waiting for another command (pid ${holder}) starting or stopping the stack on this DATA_DIR`);
        told = true;
      }
      if (Date.now() > deadline)
        throw new Error(`another command (pid ${holder}) has held ${file} for ${timeoutMs / 60_000} minutes`);
      await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

/** Commands using the stack of a DATA_DIR, one file each under run/users: the last one out stops the servers. */
export function registerUser(runDir: string, info: Record<string, unknown>): () => void {
  const dir = path.join(runDir, 'users');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ pid: process.pid, ...info }));
  return () => rmSync(file, { force: true });
}

/** Live commands other than this one using the stack; files of dead ones are removed. */
export function otherUsers(runDir: string): { pid: number; [key: string]: unknown }[] {
  const dir = path.join(runDir, 'users');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const users: { pid: number }[] = [];
  for (const name of names) {
    const pid = Number(name.replace(/\.json$/, ''));
    if (pid === process.pid) continue;
    if (!isAlive(pid)) {
      rmSync(path.join(dir, name), { force: true });
      continue;
    }
    try {
      users.push(JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { pid: number });
    } catch {
      users.push({ pid });
    }
  }
  return users;
}
