import type { Command } from 'commander';
import { rebuildAndCompare } from '../audit/rebuild';
import { createDb, migrateToLatest } from '../db/database';
import { EventStore, verifyChain } from '../eventstore';
import { allProjections } from '../projections';
import { loadConfig } from '../stack/config';
import { ensurePostgres } from '../stack/postgres';
import { CliError, progress } from './output';

/** Only PostgreSQL is needed to audit the event store: no Temporal, no worker. */
async function withStore<T>(work: (store: EventStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const postgres = await ensurePostgres(config, progress);
  const db = createDb(postgres.url);
  try {
    await migrateToLatest(db);
    return await work(new EventStore(db, allProjections));
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("auditors' tools: prove nothing was altered, rebuild every figure");
  audit
    .command('verify')
    .description('walk the SHA-256 hash chain of every event')
    .action(async () => {
      const verdict = await withStore((store) => verifyChain(store));
      if (!verdict.ok) {
        console.log(`broken at position ${verdict.position}: ${verdict.reason} (${verdict.count} events before it hold)`);
        throw new CliError(`hash chain broken at position ${verdict.position}`);
      }
      console.log(`chain head ${verdict.lastHash}`);
      console.log(`ok ${verdict.count} events`);
    });
  audit
    .command('rebuild')
    .description('replay every event into fresh projections and compare them with the live tables')
    .action(async () => {
      const report = await withStore((store) => rebuildAndCompare(store.db, store, allProjections));
      if (report.differences.length > 0) {
        for (const d of report.differences) {
          console.log(`${d.table}: ${d.onlyLive} row(s) only in the live table, ${d.onlyRebuilt} only in the rebuild`);
          for (const s of d.samples) console.log(`  ${s}`);
        }
        throw new CliError(`the live tables differ from the events in ${report.differences.length} table(s)`);
      }
      console.log(`ok ${report.events} events replayed; ${report.tables.length} tables equal (${report.tables.join(', ')})`);
    });
}
