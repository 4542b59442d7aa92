// npm run bench:ingest — the extract ingest alone on an embedded PostgreSQL: time to COPY and
// validate, and the duplicate classification before (the two GROUP BY updates on a never-analysed
// table) and after (ANALYZE + one window pass), on the same loaded rows. Sizes: BENCH_SIZES=8000,50000.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { allProjections } from '../app/projections';
import { embeddedUrl, ensurePostgres } from '../app/stack/postgres';
import { createBankClient } from '../platform/adapters/bank';
import { loadConfig } from '../platform/config';
import { createDb, migrateToLatest } from '../platform/db/database';
import { PersonVault } from '../platform/db/person-vault';
import { EventStore } from '../platform/eventstore';
import { piiKeysFrom } from '../platform/security/pii-key';
import type { SubsidyDeps } from '../subsidy/activities';
import { classifyDuplicates, ingestExtractFile } from '../subsidy/activities/ingest';
import { storeUpload } from '../subsidy/adapters/uploads';
import { stackEnv } from '../test/support/stack-process';
import { writeSyntheticSubsidyData } from './synthetic';

const sizes = (process.env.BENCH_SIZES ?? '8000,50000').split(',').map(Number);
const BEFORE_CAP_S = Number(process.env.BENCH_BEFORE_CAP_S ?? 300);

/** The classification as it was: two UPDATEs whose GROUP BY subqueries the planner re-ran per row. */
async function classifyBefore(client: pg.Client, hash: string, table: string): Promise<void> {
  await client.query(
    `update ${table} r set quarantine_reason = 'duplicate_conflict',
            quarantine_detail = 'record_id appears with different content on other lines'
       from (select record_id from ${table} where extract_hash = $1
              group by record_id having count(distinct content_hash) > 1) c
      where r.extract_hash = $1 and r.record_id = c.record_id and r.quarantine_reason is null`,
    [hash],
  );
  await client.query(
    `update ${table} r set quarantine_reason = 'duplicate_record',
            quarantine_detail = 'exact repeat of line ' || f.first_line
       from (select record_id, min(line_no) as first_line from ${table}
              where extract_hash = $1 and quarantine_reason is null group by record_id having count(*) > 1) f
      where r.extract_hash = $1 and r.record_id = f.record_id and r.line_no > f.first_line and r.quarantine_reason is null`,
    [hash],
  );
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
const config = loadConfig({ ...process.env, ...(await stackEnv(dataDir)), LOG_LEVEL: 'warn' });
const postgres = await ensurePostgres(config, () => {});
try {
  const admin = new pg.Client({ connectionString: embeddedUrl(config, 'postgres') });
  await admin.connect();
  console.log('rows     ingest (s)  rows/s   classify before (s)  classify after (s)  same result');
  for (const rows of sizes) {
    const name = `bench_ingest_${rows}`;
    await admin.query(`create database ${name}`);
    const url = embeddedUrl(config, name);
    const db = createDb(url, { max: 4 });
    await migrateToLatest(db);
    const deps = {
      db,
      store: new EventStore(db, allProjections),
      vault: new PersonVault(db, piiKeysFrom(randomBytes(32))),
      bank: createBankClient({ baseUrl: 'http://127.0.0.1:9' }),
      databaseUrl: url,
      uploadsDir: path.join(dataDir, 'uploads'),
    } satisfies SubsidyDeps;
    const files = await writeSyntheticSubsidyData({
      dir: path.join(dataDir, String(rows)),
      quarter: '2025Q3',
      rows,
      rosterSize: Math.max(1_000, rows / 10),
      seed: 7,
    });
    const upload = await storeUpload(deps, files.hospitalizations);
    const t0 = performance.now();
    await ingestExtractFile(deps, { cycleId: 'bench', extractHash: upload.hash });
    const ingest = (performance.now() - t0) / 1000;

    // Re-run both classifications on the loaded rows: after = today's code path, before = the old one.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const snapshot = async (table: string) =>
      (
        await client.query(
          `select string_agg(line_no || ':' || coalesce(quarantine_reason, ''), ',' order by line_no) as s from ${table} where extract_hash = $1`,
          [upload.hash],
        )
      ).rows[0].s as string;
    const after = await snapshot('extract_rows');
    await client.query(
      `update extract_rows set quarantine_reason = null, quarantine_detail = null where extract_hash = $1 and quarantine_reason like 'duplicate_%'`,
      [upload.hash],
    );
    // The old path met a freshly loaded, never-analysed table: a new one with the same rows.
    await client.query('create table extract_rows_before (like extract_rows including all)');
    await client.query('insert into extract_rows_before select * from extract_rows');
    // The old path grows quadratically (8,000 rows: about a minute here): capped, and said so.
    await client.query(`set statement_timeout = '${BEFORE_CAP_S}s'`);
    const t1 = performance.now();
    const capped = await classifyBefore(client, upload.hash, 'extract_rows_before').then(
      () => false,
      () => true,
    );
    const before = (performance.now() - t1) / 1000;
    await client.query('set statement_timeout = 0');
    const beforeResult = capped ? undefined : await snapshot('extract_rows_before');
    const t2 = performance.now();
    await client.query('analyze extract_rows');
    await classifyDuplicates(client, upload.hash);
    const afterTime = (performance.now() - t2) / 1000;
    const afterResult = await snapshot('extract_rows');
    await client.end();
    await db.destroy();
    console.log(
      `${String(rows).padEnd(8)} ${ingest.toFixed(1).padStart(10)}  ${String(Math.round(rows / ingest)).padStart(7)}  ${(capped ? `> ${BEFORE_CAP_S} (stopped)` : before.toFixed(2)).padStart(19)}  ${afterTime.toFixed(2).padStart(18)}  ${after === afterResult && (capped ? 'n/a' : beforeResult === afterResult)}`,
    );
  }
  await admin.end();
} finally {
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
