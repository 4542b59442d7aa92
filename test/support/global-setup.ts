import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { embeddedUrl, ensurePostgres, type PostgresHandle } from '../../app/stack/postgres';
import { ensureTemporal, type TemporalHandle } from '../../app/stack/temporal';
import { loadConfig } from '../../platform/config';
import { stackEnv } from './stack-process';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server's maintenance database; tests create their own databases from it. */
    adminDatabaseUrl: string;
    temporalAddress: string;
    /** DATA_DIR of the test stack (the servers' state; tests make their own folders for anything else). */
    testDataDir: string;
  }
}

let postgres: PostgresHandle | undefined;
let temporal: TemporalHandle | undefined;
let dataDir: string | undefined;

/**
 * Starts a real PostgreSQL and a real Temporal dev server once for the whole run, on free ports,
 * in a throw-away DATA_DIR — or uses DATABASE_URL / TEMPORAL_ADDRESS when those are set.
 */
export async function setup(project: TestProject): Promise<void> {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-test-'));
  const config = loadConfig({
    ...process.env,
    ...(await stackEnv(dataDir)),
  });
  const log = (line: string) => console.log(`[test stack] ${line}`);
  postgres = await ensurePostgres(config, log);
  temporal = await ensureTemporal(config, log);
  const adminUrl = config.DATABASE_URL ?? embeddedUrl(config, 'postgres');
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('testDataDir', dataDir);
}

export async function teardown(): Promise<void> {
  await temporal?.stop();
  await postgres?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
