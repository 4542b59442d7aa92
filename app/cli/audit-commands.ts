import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createBankClient } from '../../platform/adapters/bank';
import { dataPaths, loadConfig } from '../../platform/config';
import { createDb, migrateToLatest } from '../../platform/db/database';
import { EventStore, verifyChain } from '../../platform/eventstore';
import { connectClient } from '../../platform/temporal/client';
import { compareWithStatement } from '../../subsidy/activities/bank-reconciliation';
import { parseQuarter } from '../../subsidy/rules';
import { checkExport, exportEvents, exportLine } from '../audit/export';
import { rebuildAndCompare } from '../audit/rebuild';
import { replayWorkflow } from '../audit/replay';
import { allProjections } from '../projections';
import { ensureBankGateway } from '../stack/bank';
import { ensurePostgres } from '../stack/postgres';
import { ensureTemporal } from '../stack/temporal';
import { workflowBundle } from '../worker/bundle';
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
  const audit = program
    .command('audit')
    .description("auditors' tools: prove nothing was altered, rebuild every figure");
  audit
    .command('verify')
    .description('walk the SHA-256 hash chain of every event')
    .action(async () => {
      const verdict = await withStore((store) => verifyChain(store));
      if (!verdict.ok) {
        console.log(
          `broken at position ${verdict.position}: ${verdict.reason} (${verdict.count} events before it hold)`,
        );
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
      const chainNote = report.chain.ok
        ? undefined
        : `the events themselves fail their hash chain at position ${report.chain.position}: ${report.chain.reason}`;
      if (report.differences.length > 0) {
        for (const d of report.differences) {
          console.log(`${d.table}: ${d.onlyLive} row(s) only in the live table, ${d.onlyRebuilt} only in the rebuild`);
          for (const key of d.keys) console.log(`  ${key}`);
          for (const s of d.samples) console.log(`  ${s}`);
        }
        if (chainNote) console.log(chainNote);
        throw new CliError(`the live tables differ from the events in ${report.differences.length} table(s)`);
      }
      // The tables match what the events say, but the events were altered: say so, loudly.
      if (chainNote) progress(`warning: ${chainNote}`);
      console.log(
        `ok ${report.events} events replayed; ${report.tables.length} tables equal (${report.tables.join(', ')})`,
      );
    });
  audit
    .command('reconcile')
    .description("compare our books with the bank's statement, payment by payment; list every break")
    .option('--quarter <YYYYQn>', 'one subsidy quarter (default: every cycle that paid anything)')
    .action(async (o: { quarter?: string }) => {
      const config = loadConfig();
      const bank = await ensureBankGateway(config, progress);
      let problems = 0;
      try {
        await withStore(async (store) => {
          let query = store.db.selectFrom('subsidy_cycles').select(['cycle_id', 'quarter']).orderBy('cycle_id');
          if (o.quarter) query = query.where('quarter', '=', o.quarter);
          const client = createBankClient({ baseUrl: bank.url });
          for (const cycle of await query.execute()) {
            const found = await compareWithStatement(store.db, client, cycle.cycle_id);
            const recorded = await store.db
              .selectFrom('reconciliation_breaks')
              .select(['break_id', 'payment_id', 'kind'])
              .where('cycle_id', '=', cycle.cycle_id)
              .where('status', '=', 'open')
              .execute();
            const yuan = (fen: number) => (fen / 100).toFixed(2);
            console.log(
              `${cycle.cycle_id}: bank booked ${found.entries} payment(s), ${yuan(found.bankSettledFen)} yuan; our books ${yuan(found.booksSettledFen)} yuan; ${found.breaks.length} break(s), ${recorded.length} open recorded break(s)`,
            );
            for (const b of found.breaks) {
              console.log(
                `  BREAK ${b.kind} payment ${b.paymentId}: bank ${b.detail.bankKeys.join(', ') || 'nothing'} (${yuan(b.detail.bankFen)} yuan), books ${b.detail.booksStatus ?? 'no such payment'}${b.detail.booksFen !== null ? ` ${yuan(b.detail.booksFen)} yuan` : ''}`,
              );
            }
            for (const r of recorded)
              if (!found.breaks.some((b) => b.breakId === r.break_id))
                console.log(`  OPEN ${r.kind} payment ${r.payment_id} (recorded ${r.break_id})`);
            if (found.toBook.length > 0)
              console.log(
                `  ${found.toBook.length} payment(s) settled at the bank still wait for our books to record it`,
              );
            problems += found.breaks.length + recorded.length;
          }
        });
      } finally {
        await bank.stop();
      }
      if (problems > 0)
        throw new CliError(`${problems} reconciliation break(s) between the bank's statement and our books`);
      console.log('ok books equal the bank statement');
    });
  audit
    .command('replay')
    .description("fetch a workflow's history from Temporal and replay it against the current workflow code")
    .argument('<workflowId>')
    .option('--run-id <id>', 'a particular run (default: the latest)')
    .action(async (workflowId: string, o: { runId?: string }) => {
      const config = loadConfig();
      const temporal = await ensureTemporal(config, progress);
      try {
        const client = await connectClient(temporal.address, config.TEMPORAL_NAMESPACE);
        try {
          const bundle = await workflowBundle(dataPaths(config).cache);
          const verdict = await replayWorkflow(client, workflowId, bundle, o.runId).catch((error: Error) => {
            throw new CliError(`${workflowId}: ${error.message.split('\n')[0]}`);
          });
          if (!verdict.ok) {
            console.log(
              `${workflowId}: ${verdict.nondeterministic ? 'NON-DETERMINISTIC' : 'replay failed'}: ${verdict.message}`,
            );
            throw new CliError(
              `${workflowId} does not replay against the current workflow code${verdict.nondeterministic ? ' (non-determinism)' : ''}`,
            );
          }
          console.log(`ok ${workflowId}: ${verdict.events} history events replay deterministically`);
        } finally {
          await client.connection.close();
        }
      } finally {
        await temporal.stop();
      }
    });
  audit
    .command('export')
    .description('write events as JSON lines with their hashes (a quarter, a stream prefix, or everything)')
    .option('--quarter <YYYYQn>', "a subsidy quarter: its cycle's and back-pay runs' events")
    .option('--stream-prefix <prefix>', 'events of streams whose id starts with this (e.g. a listing)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (o: { quarter?: string; streamPrefix?: string; out?: string }) => {
      if (o.quarter) {
        try {
          parseQuarter(o.quarter);
        } catch (error) {
          throw new CliError(`--quarter: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const count = await withStore(async (store) => {
        let n = 0;
        for await (const event of exportEvents(store.db, { quarter: o.quarter, streamPrefix: o.streamPrefix })) {
          if (!out.write(exportLine(event))) await once(out, 'drain');
          n += 1;
        }
        return n;
      });
      if (o.out) {
        out.end();
        await once(out, 'finish');
      }
      progress(`exported ${count} events`);
    });
  audit
    .command('check')
    .description('check an export offline: every line against its hash, and the links between consecutive positions')
    .argument('<file>')
    .action((file: string) => {
      const result = checkExport(readFileSync(file, 'utf8').split('\n'));
      for (const m of result.mismatches)
        console.log(`line ${m.line} (position ${m.position}): content does not match its hash`);
      for (const b of result.breaks) console.log(`line ${b.line} (position ${b.position}): previous-hash link broken`);
      if (result.mismatches.length + result.breaks.length > 0) {
        throw new CliError(
          `export fails its hashes at position ${(result.mismatches[0] ?? result.breaks[0])!.position}`,
        );
      }
      console.log(`ok ${result.lines} events`);
    });
}
