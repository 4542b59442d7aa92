import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { checkExport, exportEvents, exportLine } from '../audit/export';
import { rebuildAndCompare } from '../audit/rebuild';
import { replayWorkflow } from '../audit/replay';
import { createDb, migrateToLatest } from '../db/database';
import { parseQuarter } from '../domain/subsidy';
import { EventStore, verifyChain } from '../eventstore';
import { allProjections } from '../projections';
import { dataPaths, loadConfig } from '../stack/config';
import { ensurePostgres } from '../stack/postgres';
import { ensureTemporal } from '../stack/temporal';
import { connectClient } from '../stack/temporal-client';
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
      const chainNote = report.chain.ok ? undefined : `the events themselves fail their hash chain at position ${report.chain.position}: ${report.chain.reason}`;
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
      console.log(`ok ${report.events} events replayed; ${report.tables.length} tables equal (${report.tables.join(', ')})`);
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
            console.log(`${workflowId}: ${verdict.nondeterministic ? 'NON-DETERMINISTIC' : 'replay failed'}: ${verdict.message}`);
            throw new CliError(`${workflowId} does not replay against the current workflow code${verdict.nondeterministic ? ' (non-determinism)' : ''}`);
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
      for (const m of result.mismatches) console.log(`line ${m.line} (position ${m.position}): content does not match its hash`);
      for (const b of result.breaks) console.log(`line ${b.line} (position ${b.position}): previous-hash link broken`);
      if (result.mismatches.length + result.breaks.length > 0) {
        throw new CliError(`export fails its hashes at position ${(result.mismatches[0] ?? result.breaks[0])!.position}`);
      }
      console.log(`ok ${result.lines} events`);
    });
}
