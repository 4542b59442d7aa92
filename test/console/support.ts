import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { upsertUser } from '../../app/api/console/users';
import { type ApiDeps, buildApi } from '../../app/api/server';
import { type RunningWorker, startWorker } from '../../app/worker/worker';
import { dayOf, isoOf } from '../../platform/common/dates';
import type { Role } from '../../platform/security/roles';
import { issueToken } from '../../platform/security/tokens';
import { importRoster } from '../../subsidy/services/roster';
import { idFor } from '../domain/fixtures';
import { createSubsidyWorld, type SubsidyTestWorld } from '../support/subsidy';

// A real cycle for the console's tests: roster, extract uploaded through the API, the review
// workflows waiting for the counties — on the embedded PostgreSQL and Temporal of the test run.
export const secret = new Uint8Array(32).fill(9);
export const PASSWORD = 'correct horse battery';

/** '2024Q3' → '2024-07': stays in the quarter's first month. Each test file uses a quarter of its own:
 * cycle workflow ids are per quarter and the Temporal dev server is shared by every test file. */
export function firstMonth(quarter: string, plus = 0): string {
  const year = Number(quarter.slice(0, 4));
  const month = (Number(quarter.slice(5)) - 1) * 3 + 1 + plus;
  return `${year}-${String(month).padStart(2, '0')}`;
}

export interface ConsoleWorld {
  world: SubsidyTestWorld;
  worker: RunningWorker;
  api: FastifyInstance;
  people: { id: string; name: string; jurisdiction: string; account: string }[];
  /** The quarter's extract (CSV text): one stay per person. */
  extract: string;
  close(): Promise<void>;
}

export async function token(role: Role, jurisdiction?: string): Promise<string> {
  return issueToken(secret, {
    subject: `${role}-${jurisdiction ?? 'city'}`,
    role,
    ...(jurisdiction ? { jurisdiction } : {}),
  });
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `counts` people per county (411002 first), one of 411002's accounts closed at the bank; users:
 * rev-411002, rev-411003, finance, auditor, city (password PASSWORD).
 */
export async function createConsoleWorld(
  name: string,
  quarter: string,
  counts: Record<string, number>,
  consoleOptions: ApiDeps['console'] = {},
  options: {
    /** Roster entry date: before the quarter, or nobody is paid (quarters before 2020 need an earlier one). */
    enrolledOn?: string;
    /** false: no extract is uploaded (the test uploads it itself); the review workflows are not awaited. */
    uploadExtract?: boolean;
  } = {},
): Promise<ConsoleWorld> {
  const enrolledOn = options.enrolledOn ?? '2020-01-01';
  const world = await createSubsidyWorld(name);
  const taskQueue = `test-${name}`;
  const worker = await startWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: world.deps,
  });
  const api = await buildApi({
    db: world.deps.db,
    store: world.deps.store,
    temporal: world.client,
    taskQueue,
    logLevel: 'silent',
    subsidy: world.deps,
    tokenSecret: secret,
    console: consoleOptions,
  });

  const people: ConsoleWorld['people'] = [];
  let n = 0;
  for (const [jurisdiction, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++, n++) {
      // Distinct, valid ID numbers of people old enough (born 1940–1953) for any count up to ~4,500,000.
      const birth = isoOf(dayOf('1940-01-01') + (n % 5_000));
      people.push({
        id: idFor(birth, 100 + Math.floor(n / 5_000)),
        name: `${jurisdiction === '411002' ? '魏' : '许'}${n}`,
        jurisdiction,
        account: `6222020200001${String(n).padStart(6, '0')}`,
      });
    }
  }
  const dir = path.join(world.workDir, 'input');
  mkdirSync(dir, { recursive: true });
  const roster = [
    'id_number,name,gender,birth_date,female_birth_date,jurisdiction,category,bank_code,account_no,enrolled_on,exited_on',
    ...people.map(
      (p) =>
        `${p.id},${p.name},M,${p.id.slice(6, 10)}-${p.id.slice(10, 12)}-${p.id.slice(12, 14)},,${p.jurisdiction},one_child_parent,ICBC,${p.account},${enrolledOn},`,
    ),
  ].join('\n');
  writeFileSync(path.join(dir, 'roster.csv'), `${roster}\n`);
  const t0 = Date.now();
  await importRoster(world.deps, path.join(dir, 'roster.csv'), 'test');
  if (process.env.CONSOLE_TIMING) console.log(`roster ${Date.now() - t0} ms`);
  await fetch(`${world.bankUrl}/admin/accounts/${people[0]!.account}/close`, { method: 'POST' });

  const extract = [
    'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion',
    // Stays of different lengths so the nights filter has something to tell apart.
    ...people.map(
      (p, i) =>
        `R${i + 1},${p.id},${p.name},许昌市中心医院,${firstMonth(quarter)}-01,${firstMonth(quarter)}-${String(3 + (i % 20)).padStart(2, '0')},`,
    ),
  ].join('\n');
  if (options.uploadExtract !== false) {
    const uploaded = await api.inject({
      method: 'POST',
      url: `/subsidy/cycles/${quarter}/extract`,
      headers: { authorization: `Bearer ${await token('city_health_commission')}`, 'content-type': 'text/csv' },
      payload: extract,
    });
    if (process.env.CONSOLE_TIMING) console.log(`extract uploaded ${Date.now() - t0} ms`);
    if (uploaded.statusCode !== 202) throw new Error(`extract upload: ${uploaded.statusCode} ${uploaded.body}`);
    for (const j of Object.keys(counts)) {
      const reviewer = await token('county_reviewer', j);
      await eventually(async () => {
        const r = await api.inject({
          method: 'GET',
          url: `/subsidy/cycles/${quarter}/review/${j}`,
          headers: { authorization: `Bearer ${reviewer}` },
        });
        return r.statusCode === 200 ? true : undefined;
      }, 600_000);
    }
  }

  if (process.env.CONSOLE_TIMING) console.log(`reviews open ${Date.now() - t0} ms`);
  await upsertUser(world.deps.db, {
    name: 'rev-411002',
    displayName: '魏都区审核员',
    role: 'county_reviewer',
    jurisdiction: '411002',
    password: PASSWORD,
  });
  await upsertUser(world.deps.db, {
    name: 'rev-411003',
    role: 'county_reviewer',
    jurisdiction: '411003',
    password: PASSWORD,
  });
  await upsertUser(world.deps.db, { name: 'finance', role: 'finance', password: PASSWORD });
  await upsertUser(world.deps.db, { name: 'auditor', role: 'auditor', password: PASSWORD });
  await upsertUser(world.deps.db, { name: 'city', role: 'city_health_commission', password: PASSWORD });
  return {
    world,
    worker,
    api,
    people,
    extract,
    close: async () => {
      await api.close();
      await worker.shutdown();
      await world.close();
    },
  };
}
