import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedUrl } from '../../app/stack/postgres';
import { isAlive, processesIn, readServiceRecord } from '../../app/stack/processes';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import { loadConfig } from '../../platform/config';
import { collect, processesMentioning, spawnCli, stackEnv, waitForOutput } from '../support/stack-process';

// Operators' and newcomers' paths on real servers, each on a DATA_DIR of its own (issue 13).
const folders: string[] = [];
function folder(prefix: string, parent = os.tmpdir()): string {
  const dir = mkdtempSync(path.join(parent, prefix));
  folders.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of folders) {
    for (const pid of processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

async function activeQueries(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const rows = await client.query(
      "select query from pg_stat_activity where datname = 'xuchang' and pid <> pg_backend_pid() and state = 'active'",
    );
    return rows.rows.map((r) => String(r.query));
  } finally {
    await client.end();
  }
}

describe('the stack for operators and newcomers', () => {
  it('a second npm start on the same DATA_DIR says where the stack runs and exits 0, starting nothing', async () => {
    const dataDir = folder('xuchang-twice-');
    const env = await stackEnv(dataDir);
    const first = spawnCli(['stack', 'start'], { ...env });
    const firstOut = collect(first);
    await waitForOutput(first, /^ready/m);
    const pids = ['postgres', 'temporal', 'bank-gateway'].map(
      (s) => readServiceRecord(path.join(dataDir, 'run'), s)!.pid,
    );

    const second = spawnCli(['stack', 'start'], { ...env });
    const secondOut = await collect(second).exited;
    expect(secondOut.code).toBe(0);
    expect(secondOut.stdout).toMatch(
      new RegExp(`already running \\(pid ${first.pid}.*API http://127\\.0\\.0\\.1:${env.API_PORT}`),
    );
    expect(secondOut.stderr).not.toMatch(/EADDRINUSE|worker|error/i);
    // The first stack is untouched.
    expect(pids.every(isAlive)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${env.API_PORT}/health`)).status).toBe(200);

    first.kill('SIGINT');
    expect((await firstOut.exited).code).toBe(0);
    expect(pids.some(isAlive)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 300_000);

  it('a DATA_DIR below a folder the postgres user cannot enter is refused with who must traverse what, and how to fix it', async () => {
    // /var/tmp: outside the repository, so not a folder the stack may open up by itself.
    const privateParent = folder('xuchang-private-', '/var/tmp');
    chmodSync(privateParent, 0o700);
    const dataDir = path.join(privateParent, 'data');
    mkdirSync(dataDir);
    const run = spawnCli(['stack', 'start'], { ...(await stackEnv(dataDir)) });
    const finished = await collect(run).exited;
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain(
      `error: PostgreSQL runs as the user "postgres", which cannot enter ${privateParent} (mode 700)`,
    );
    expect(finished.stderr).toContain(`chmod o+x ${privateParent}`);
    expect(processesMentioning(privateParent)).toEqual([]);
  }, 120_000);

  it('Ctrl-C in the middle of an ingest stops everything in order and leaves no process', async () => {
    const dataDir = folder('xuchang-ctrlc-');
    const env = await stackEnv(dataDir);
    const files = await writeSyntheticSubsidyData({
      dir: path.join(dataDir, 'input'),
      quarter: '2025Q3',
      rows: 20_000,
      rosterSize: 2_000,
      seed: 13,
    });
    const run = spawnCli(
      [
        'subsidy',
        'cycle',
        'run',
        '--quarter',
        '2025Q3',
        '--roster',
        files.roster,
        '--hospitalizations',
        files.hospitalizations,
        '--auto-approve',
      ],
      { ...env },
    );
    const out = collect(run);
    await waitForOutput(run, /cycle subsidy-cycle-2025Q3 started/);
    const url = embeddedUrl(loadConfig({ ...process.env, ...env }));
    // Wait until the ingest is at work in PostgreSQL, then interrupt it.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(await activeQueries(url)).some((q) => /extract_rows|copy/i.test(q)))
      await new Promise((r) => setTimeout(r, 100));
    const postgresPid = readServiceRecord(path.join(dataDir, 'run'), 'postgres')!.pid;
    const started = Date.now();
    run.kill('SIGINT');
    const finished = await out.exited;
    expect(finished.code, finished.stderr).toBe(130);
    expect(Date.now() - started).toBeLessThan(90_000);
    expect(finished.stderr).toMatch(/SIGINT: stopping in order/);
    expect(finished.stderr).not.toMatch(/unhandled|Emitted 'error'|ECONNRESET/);
    expect(isAlive(postgresPid)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(processesIn(path.join(dataDir, 'postgres'))).toEqual([]);
  }, 300_000);
});
