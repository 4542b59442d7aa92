import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { importRoster } from '../activities/subsidy/roster';
import { PAYMENT_COLUMNS, paymentRows, REPORT_COLUMNS, reportRows } from '../activities/subsidy/reports';
import { storeUpload } from '../activities/subsidy/uploads';
import { formatYuan } from '../domain/money';
import { parseQuarter } from '../domain/subsidy';
import { loadConfig } from '../stack/config';
import { ensureQuarterlySchedule, QUARTERLY_SCHEDULE_ID } from '../stack/schedules';
import { startStack, type Stack } from '../stack/stack';
import { subsidyCycleWorkflow } from '../workflows';
import { cycleIdFor, extractUploadedSignal, type CycleSummary } from '../workflows/subsidy/definitions';
import { CliError, progress } from './output';

interface RunOptions {
  quarter: string;
  roster?: string;
  annualRoster?: string;
  hospitalizations: string;
  autoApprove?: boolean;
  paymentsOut?: string;
  reportOut?: string;
}

function requireFile(option: string, file: string | undefined): void {
  if (file !== undefined && !existsSync(file)) throw new CliError(`${option}: no such file: ${file}`);
}

async function writeCsv(file: string, columns: readonly string[], rows: Record<string, string>[]): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, stringify(rows, { header: true, columns: [...columns] }));
}

/** Starts (or finds) the quarter's one cycle workflow and waits for its result. */
async function runCycle(stack: Stack, quarter: string, extractHash: string, autoApprove: boolean): Promise<CycleSummary> {
  const workflowId = cycleIdFor(quarter);
  try {
    const handle = await stack.client.workflow.start(subsidyCycleWorkflow, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [{ quarter, extractHash, autoApprove, timing: { pollInterval: 200, maxPollInterval: 5_000 } }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    progress(`cycle ${workflowId} started — follow it in the Temporal UI${stack.temporal.uiUrl ? ` (${stack.temporal.uiUrl}/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows/${workflowId})` : ''}`);
    if (!autoApprove) progress('waiting for county review through the API (see /docs); --auto-approve runs unattended');
    return await handle.result();
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    // One workflow per quarter: a quarter that already ran pays nothing more.
    const handle = stack.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    progress(`cycle ${workflowId} already exists (${description.status.name}); it pays nothing more — waiting for its result`);
    return (await handle.result()) as CycleSummary;
  }
}

function printSummary(summary: CycleSummary): void {
  const r = summary.rows;
  // Rows are extract lines (records); payments are one per person and kind, so several paid rows can make one payment.
  console.log(`cycle ${summary.cycleId}: ${r.total} rows (extract records) = ${r.paid} paid + ${r.notEligible} not eligible + ${r.excluded} excluded + ${r.quarantined} quarantined`);
  const payments = summary.reconciliation.reduce((n, l) => n + l.approved, 0);
  console.log(`${payments} payments (people) approved; a person's paid rows of one kind make one payment`);
  console.log('jurisdiction  payments (people) approved  settled  held  amount        city 40%      county 60%');
  for (const l of summary.reconciliation) {
    console.log(
      `${l.jurisdiction.padEnd(13)} ${String(l.approved).padStart(26)} ${String(l.settled).padStart(8)} ${String(l.held).padStart(5)}  ${formatYuan(l.approvedFen).padStart(12)}  ${formatYuan(l.cityShareFen).padStart(12)}  ${formatYuan(l.countyShareFen).padStart(12)}${l.balanced ? '' : '  UNBALANCED'}`,
    );
  }
  console.log(summary.balanced ? 'reconciliation balanced: approved = instructed = settled + held' : 'reconciliation NOT balanced');
}

export function registerSubsidyCommands(program: Command): void {
  const subsidy = program.command('subsidy').description('hospital nursing subsidy (许政办〔2025〕15号)');
  const cycle = subsidy.command('cycle').description('quarterly cycles');
  cycle
    .command('run')
    .description('run one quarterly cycle through the real workflow and write its payments and report')
    .requiredOption('--quarter <YYYYQn>', 'the quarter whose discharges are paid')
    .option('--roster <file>', 'roster to load or update before the cycle (optional after the first run)')
    .option('--annual-roster <file>', "instead of --roster: the annual roster of the cycle's year (people of its jurisdictions missing from it exit on 1 January)")
    .requiredOption('--hospitalizations <file>', 'the medical-insurance extract (.csv or .xlsx)')
    .option('--auto-approve', 'every county approves every computed item (unattended)')
    .option('--payments-out <file>', 'where to write payments.csv')
    .option('--report-out <file>', 'where to write report.csv')
    .action(async (options: RunOptions) => {
      try {
        parseQuarter(options.quarter);
      } catch (error) {
        throw new CliError(`--quarter: ${error instanceof Error ? error.message : String(error)}`);
      }
      requireFile('--roster', options.roster);
      requireFile('--annual-roster', options.annualRoster);
      if (options.roster && options.annualRoster) throw new CliError('--roster and --annual-roster: give one of them');
      requireFile('--hospitalizations', options.hospitalizations);
      const config = loadConfig();
      const stack = await startStack(config, { worker: true, api: !options.autoApprove }, progress);
      try {
        const deps = stack.subsidyDeps;
        const rosterFile = options.annualRoster ?? options.roster;
        if (rosterFile) {
          const kind = options.annualRoster ? { kind: 'annual' as const, year: parseQuarter(options.quarter).year } : { kind: 'update' as const };
          const roster = await importRoster(deps, rosterFile, 'cli:subsidy-cycle-run', kind);
          progress(
            roster.loaded
              ? `roster version ${roster.version} (${kind.kind === 'annual' ? `annual roster ${kind.year}` : 'update'}): ${roster.entries} entries, ${roster.changed} changed, ${roster.quarantined.length} quarantined, ${roster.conflicts.length} conflicts${kind.kind === 'annual' ? `, ${roster.annualExits.length} exit on ${kind.year}-01-01 (not_in_annual_roster)` : ''}`
              : `roster unchanged (version ${roster.version} is this file)`,
          );
          for (const q of roster.quarantined.slice(0, 20)) progress(`  roster line ${q.line}: ${q.reason} — ${q.detail}`);
          for (const c of roster.conflicts.slice(0, 20)) progress(`  roster lines ${c.lines.join(' and ')}: roster_conflict — one person, different content (${c.jurisdictions.join(', ')}); neither line taken`);
        } else {
          const any = await stack.db.selectFrom('roster_versions').select('version').limit(1).executeTakeFirst();
          if (!any) throw new CliError('no roster loaded in this DATA_DIR yet: pass --roster');
        }
        const extract = await storeUpload(deps.uploadsDir, options.hospitalizations);
        progress(`extract ${extract.hash.slice(0, 12)}… stored`);
        const summary = await runCycle(stack, options.quarter, extract.hash, options.autoApprove ?? false);
        if (options.paymentsOut) await writeCsv(options.paymentsOut, PAYMENT_COLUMNS, await paymentRows(deps, summary.cycleId));
        if (options.reportOut) await writeCsv(options.reportOut, REPORT_COLUMNS, await reportRows(deps, summary.cycleId));
        printSummary(summary);
        if (!summary.balanced) throw new CliError('the cycle closed with an unbalanced reconciliation');
      } finally {
        await stack.stop();
      }
    });
}

/** Hands an extract to a cycle that waits for it (e.g. one the quarterly schedule started), or starts the cycle. */
export function registerExtractCommands(program: Command): void {
  program
    .commands.find((c) => c.name() === 'subsidy')!
    .command('extract')
    .description("the medical-insurance bureau's extract")
    .command('upload')
    .description("store a quarter's extract and hand it to that quarter's cycle (started if it does not exist yet)")
    .requiredOption('--quarter <YYYYQn>')
    .requiredOption('--file <file>', '.csv or .xlsx')
    .action(async (o: { quarter: string; file: string }) => {
      parseQuarter(o.quarter);
      requireFile('--file', o.file);
      const stack = await startStack(loadConfig(), { worker: false, api: false }, progress);
      try {
        const upload = await storeUpload(stack.subsidyDeps.uploadsDir, o.file);
        const workflowId = cycleIdFor(o.quarter);
        try {
          await stack.client.workflow.signalWithStart(subsidyCycleWorkflow, {
            taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
            workflowId,
            args: [{ quarter: o.quarter }],
            // A quarter that already ran is never run again.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            signal: extractUploadedSignal,
            signalArgs: [{ extractHash: upload.hash, actor: { subject: 'cli', role: 'city_health_commission' } }],
          });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`${workflowId} already ran; its payments stand (omissions go to a back-pay run)`);
          throw error;
        }
        console.log(`extract ${upload.hash} handed to ${workflowId}`);
      } finally {
        await stack.stop();
      }
    });
}

/** Operators' handles on the quarterly schedule (the Temporal UI offers the same). */
export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .commands.find((c) => c.name() === 'subsidy')!
    .command('schedule')
    .description(`the quarterly schedule (${QUARTERLY_SCHEDULE_ID}) that starts each cycle`);
  const withHandle = async (work: (stack: Stack) => Promise<void>) => {
    const stack = await startStack(loadConfig(), { worker: false, api: false }, progress);
    try {
      await ensureQuarterlySchedule(stack.client, stack.config.TEMPORAL_TASK_QUEUE);
      await work(stack);
    } finally {
      await stack.stop();
    }
  };
  const handleOf = (stack: Stack) => stack.client.schedule.getHandle(QUARTERLY_SCHEDULE_ID);
  schedule
    .command('status')
    .description('show the next runs and recent actions')
    .action(() =>
      withHandle(async (stack) => {
        const d = await handleOf(stack).describe();
        console.log(`paused: ${d.state.paused}${d.state.note ? ` (${d.state.note})` : ''}`);
        for (const next of d.info.nextActionTimes.slice(0, 4)) console.log(`next: ${next.toISOString()}`);
        for (const recent of d.info.recentActions.slice(-4)) console.log(`ran: ${recent.takenAt.toISOString()} ${recent.action.workflow.workflowId}`);
      }),
    );
  schedule
    .command('pause')
    .option('--note <text>', 'why', 'paused by operator')
    .action((o: { note: string }) => withHandle(async (stack) => handleOf(stack).pause(o.note)));
  schedule
    .command('unpause')
    .option('--note <text>', 'why', 'unpaused by operator')
    .action((o: { note: string }) => withHandle(async (stack) => handleOf(stack).unpause(o.note)));
  schedule
    .command('trigger')
    .description('start the launcher now (it launches the previous quarter; a quarter that ran is left alone)')
    .action(() => withHandle(async (stack) => handleOf(stack).trigger()));
  schedule
    .command('backfill')
    .description('run the schedule as if it had fired between two instants (ISO), e.g. missed quarters')
    .requiredOption('--from <iso>')
    .requiredOption('--to <iso>')
    .action((o: { from: string; to: string }) =>
      withHandle(async (stack) => {
        const start = new Date(o.from);
        const end = new Date(o.to);
        if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new CliError('--from/--to: not ISO instants');
        await handleOf(stack).backfill({ start, end, overlap: 'ALLOW_ALL' as never });
      }),
    );
}
