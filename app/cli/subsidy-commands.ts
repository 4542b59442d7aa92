import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { formatYuan } from '../../platform/common/money';
import { loadConfig } from '../../platform/config';
import { maskIdNumber } from '../../platform/security/masking';
import { storeUpload } from '../../subsidy/adapters/uploads';
import { subsidyEvent } from '../../subsidy/context';
import {
  type CycleSummary,
  cycleIdFor,
  cycleProgressQuery,
  extractUploadedSignal,
} from '../../subsidy/contracts/definitions';
import { streams } from '../../subsidy/contracts/events';
import { parseQuarter } from '../../subsidy/rules';
import { PAYMENT_COLUMNS, paymentRows, REPORT_COLUMNS, reportRows } from '../../subsidy/services/reports';
import { importRoster } from '../../subsidy/services/roster';
import { cycleStartMetadata } from '../../subsidy/workflows/summaries';
import { ensureQuarterlySchedule, QUARTERLY_SCHEDULE_ID } from '../stack/schedules';
import { type Stack, startStack } from '../stack/stack';
import { subsidyCycleWorkflow } from '../workflows';
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

/**
 * Starts the quarter's one cycle workflow, or hands the extract to the one that waits for it (none
 * yet, or a rejected one), and waits for its result. A closed cycle that did not complete is not
 * started again here: that is an operator's recorded decision (`subsidy cycle restart`).
 */
async function runCycle(
  stack: Stack,
  quarter: string,
  extract: { hash: string; file: string },
  autoApprove: boolean,
): Promise<CycleSummary> {
  const workflowId = cycleIdFor(quarter);
  const handle = stack.client.workflow.getHandle<typeof subsidyCycleWorkflow>(workflowId);
  try {
    await stack.client.workflow.start(subsidyCycleWorkflow, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      ...cycleStartMetadata({ quarter }),
      args: [
        { quarter, extractHash: extract.hash, autoApprove, timing: { pollInterval: 200, maxPollInterval: 5_000 } },
      ],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    progress(
      `cycle ${workflowId} started — follow it in the Temporal UI${stack.temporal.uiUrl ? ` (${stack.temporal.uiUrl}/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows/${workflowId})` : ''}`,
    );
    if (!autoApprove) progress('waiting for county review through the API (see /docs); --auto-approve runs unattended');
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const status = (await handle.describe()).status.name;
    if (status === 'RUNNING') {
      const now = await handle.query(cycleProgressQuery);
      if (now.stage === 'extract' || now.stage === 'extract_rejected') {
        await handle.signal(extractUploadedSignal, {
          extractHash: extract.hash,
          actor: { subject: 'cli', role: 'city_health_commission' },
        });
        progress(`cycle ${workflowId} was waiting for its extract: ${extract.file} handed to it`);
      } else if (now.extractHash !== extract.hash) {
        progress(
          `cycle ${workflowId} is running with another extract (${now.extractHash?.slice(0, 12)}…); ${extract.file} is not used — waiting for its result`,
        );
      } else {
        progress(`cycle ${workflowId} is running (${now.stage}) — waiting for its result`);
      }
    } else if (status === 'COMPLETED') {
      // One workflow per quarter: a quarter that already ran pays nothing more.
      progress(`cycle ${workflowId} already ran; it pays nothing more`);
    } else {
      throw new CliError(
        `cycle ${workflowId} ended ${status.toLowerCase()}: only an operator starts it again, with a reason: npm run cli -- subsidy cycle restart --quarter ${quarter} --reason "..."`,
      );
    }
  }
  return waitForCycle(handle, extract);
}

/** The cycle's result, or — within a second or two of the ingest's verdict — the reason this extract was rejected. */
async function waitForCycle(
  handle: WorkflowHandle<typeof subsidyCycleWorkflow>,
  extract: { hash: string; file: string },
): Promise<CycleSummary> {
  // The result's long poll is cancelled before this command gives up on it: a call left pending on a
  // connection that is then closed surfaces as an uncaught 'Channel has been shut down'.
  const abandon = new AbortController();
  const result = handle.client
    .withAbortSignal(abandon.signal, () => handle.result())
    .then(
      (summary) => ({ summary }),
      (error: unknown) => ({ error }),
    );
  for (;;) {
    const outcome = await Promise.race([result, delay(1_000).then(() => undefined)]);
    if (outcome && 'summary' in outcome) return outcome.summary;
    if (outcome) throw outcome.error;
    const now = await handle.query(cycleProgressQuery).catch(() => undefined);
    if (now?.stage === 'extract_rejected' && now.rejection?.extractHash === extract.hash) {
      abandon.abort();
      await result;
      throw new CliError(
        `${extract.file}: ${now.rejection.reason} — nothing paid; cycle ${handle.workflowId} waits for a corrected file (run this command again with it)`,
      );
    }
  }
}

function printSummary(summary: CycleSummary): void {
  const r = summary.rows;
  // Rows are extract lines (records); payments are one per person and kind, so several paid rows can make one payment.
  console.log(
    `cycle ${summary.cycleId}: ${r.total} rows (extract records) = ${r.paid} paid + ${r.notEligible} not eligible + ${r.excluded} excluded + ${r.quarantined} quarantined`,
  );
  const payments = summary.reconciliation.reduce((n, l) => n + l.approved, 0);
  console.log(`${payments} payments (people) approved; a person's paid rows of one kind make one payment`);
  console.log('jurisdiction  payments (people) approved  settled  held  amount        city 40%      county 60%');
  for (const l of summary.reconciliation) {
    console.log(
      `${l.jurisdiction.padEnd(13)} ${String(l.approved).padStart(26)} ${String(l.settled).padStart(8)} ${String(l.held).padStart(5)}  ${formatYuan(l.approvedFen).padStart(12)}  ${formatYuan(l.cityShareFen).padStart(12)}  ${formatYuan(l.countyShareFen).padStart(12)}${l.balanced ? '' : '  UNBALANCED'}`,
    );
  }
  console.log(
    summary.balanced
      ? 'reconciliation balanced: approved = instructed = settled + held'
      : 'reconciliation NOT balanced',
  );
  // The bank has the last word: its statement, payment by payment, against our books.
  if (summary.bank) {
    const b = summary.bank;
    console.log(
      `bank statement: ${b.entries} payments booked, ${formatYuan(b.bankSettledFen)} yuan; our books ${formatYuan(b.booksSettledFen)} yuan; ${b.openBreaks} open break(s)${b.openBreaks > 0 ? ' — see npm run cli -- audit reconcile' : ''}`,
    );
  }
}

export function registerSubsidyCommands(program: Command): void {
  const subsidy = program.command('subsidy').description('hospital nursing subsidy (许政办〔2025〕15号)');
  const cycle = subsidy.command('cycle').description('quarterly cycles');
  cycle
    .command('run')
    .description('run one quarterly cycle through the real workflow and write its payments and report')
    .requiredOption('--quarter <YYYYQn>', 'the quarter whose discharges are paid')
    .option('--roster <file>', 'roster to load or update before the cycle (optional after the first run)')
    .option(
      '--annual-roster <file>',
      "instead of --roster: the annual roster of the cycle's year (people of its jurisdictions missing from it exit on 1 January)",
    )
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
          const kind = options.annualRoster
            ? { kind: 'annual' as const, year: parseQuarter(options.quarter).year }
            : { kind: 'update' as const };
          const roster = await importRoster(deps, rosterFile, 'cli:subsidy-cycle-run', kind);
          progress(
            roster.loaded
              ? `roster version ${roster.version} (${kind.kind === 'annual' ? `annual roster ${kind.year}` : 'update'}): ${roster.entries} entries, ${roster.changed} changed, ${roster.quarantined.length} quarantined, ${roster.conflicts.length} conflicts${kind.kind === 'annual' ? `, ${roster.annualExits.length} exit on ${kind.year}-01-01 (not_in_annual_roster)` : ''}`
              : `roster unchanged (version ${roster.version} is this file)`,
          );
          for (const q of roster.quarantined.slice(0, 20))
            progress(`  roster line ${q.line}: ${q.reason} — ${q.detail}`);
          for (const c of roster.conflicts.slice(0, 20))
            progress(
              `  roster lines ${c.lines.join(' and ')}: roster_conflict — one person, different content (${c.jurisdictions.join(', ')}); neither line taken`,
            );
          // The people the annual roster leaves out, as the county knows them (name, masked ID number).
          const exits = roster.annualExits.slice(0, 20);
          const people = await deps.vault.getMany(exits.map((e) => e.personRef));
          for (const e of exits) {
            const person = people.get(e.personRef);
            progress(
              `  exits ${e.exitedOn} (not_in_annual_roster): ${person ? `${person.name} ${maskIdNumber(person.idNumber)}` : e.personRef}, ${e.jurisdiction}`,
            );
          }
          if (roster.annualExits.length > exits.length)
            progress(
              `  … and ${roster.annualExits.length - exits.length} more exits: GET /subsidy/rosters/exits/{jurisdiction}`,
            );
        } else {
          const any = await stack.db.selectFrom('roster_versions').select('version').limit(1).executeTakeFirst();
          if (!any) throw new CliError('no roster loaded in this DATA_DIR yet: pass --roster');
        }
        const extract = await storeUpload(deps, options.hospitalizations);
        progress(`extract ${extract.hash.slice(0, 12)}… stored`);
        const summary = await runCycle(
          stack,
          options.quarter,
          { hash: extract.hash, file: options.hospitalizations },
          options.autoApprove ?? false,
        );
        if (options.paymentsOut)
          await writeCsv(options.paymentsOut, PAYMENT_COLUMNS, await paymentRows(deps, summary.cycleId));
        if (options.reportOut)
          await writeCsv(options.reportOut, REPORT_COLUMNS, await reportRows(deps, summary.cycleId));
        printSummary(summary);
        if (!summary.balanced) throw new CliError('the cycle closed with an unbalanced reconciliation');
      } finally {
        await stack.stop();
      }
    });
  registerRestartCommand(cycle);
}

/**
 * Starts again a quarter's cycle that ended without completing (terminated, failed, timed out):
 * only by an operator, with a reason recorded in the event store beside the cycle's own events.
 * Refused once the cycle had frozen its inputs: its entitlements and payments stand, and a second
 * computation under the same id would mix two extracts.
 */
function registerRestartCommand(cycle: Command): void {
  cycle
    .command('restart')
    .description(
      "start again a quarter's cycle that ended without completing (terminated, failed): an operator's recorded decision",
    )
    .requiredOption('--quarter <YYYYQn>', 'the quarter')
    .requiredOption('--reason <text>', 'why it is started again (recorded)')
    .option('--operator <name>', 'who decides (recorded)', process.env.USER ?? 'operator')
    .option('--hospitalizations <file>', 'the extract for the new run (else it waits for one)')
    .option('--auto-approve', 'every county approves every computed item (unattended)')
    .action(
      async (o: {
        quarter: string;
        reason: string;
        operator: string;
        hospitalizations?: string;
        autoApprove?: boolean;
      }) => {
        parseQuarter(o.quarter);
        requireFile('--hospitalizations', o.hospitalizations);
        if (o.reason.trim().length < 5)
          throw new CliError('--reason: say why the cycle is started again (recorded for the auditors)');
        const stack = await startStack(loadConfig(), { worker: false, api: false }, progress);
        try {
          const workflowId = cycleIdFor(o.quarter);
          const previous = await stack.client.workflow
            .getHandle(workflowId)
            .describe()
            .catch((error: unknown) => {
              if (error instanceof WorkflowNotFoundError)
                throw new CliError(`no cycle ${workflowId} to restart: start it with subsidy cycle run`);
              throw error;
            });
          const status = previous.status.name;
          if (status === 'RUNNING')
            throw new CliError(
              `cycle ${workflowId} is running: hand it a corrected extract with subsidy cycle run or subsidy extract upload`,
            );
          if (status === 'COMPLETED')
            throw new CliError(`cycle ${workflowId} completed; its payments stand (omissions go to a back-pay run)`);
          const events = await stack.subsidyDeps.store.readStream(streams.cycle(workflowId));
          if (events.some((e) => e.type === 'CycleInputsFrozen')) {
            throw new CliError(
              `cycle ${workflowId} had computed its entitlements before it ended ${status.toLowerCase()}: it cannot be started again; omissions go to a back-pay run`,
            );
          }
          const extract = o.hospitalizations ? await storeUpload(stack.subsidyDeps, o.hospitalizations) : undefined;
          const actor = `operator:${o.operator}`;
          await stack.subsidyDeps.store.append(
            streams.cycle(workflowId),
            [
              subsidyEvent(
                'CycleNotice',
                {
                  cycleId: workflowId,
                  notice: 'CycleRestarted',
                  reason: o.reason.trim(),
                  actor,
                  previousRunId: previous.runId,
                  previousStatus: status,
                },
                workflowId,
                'restart',
                previous.runId,
              ),
            ],
            { metadata: { actor } },
          );
          const handle = await stack.client.workflow.start(subsidyCycleWorkflow, {
            taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
            workflowId,
            ...cycleStartMetadata({ quarter: o.quarter }),
            args: [
              {
                quarter: o.quarter,
                ...(extract ? { extractHash: extract.hash } : {}),
                autoApprove: o.autoApprove ?? false,
              },
            ],
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
          });
          console.log(
            `cycle ${workflowId} started again (run ${handle.firstExecutionRunId}; previous run ${previous.runId} ended ${status.toLowerCase()}), reason recorded`,
          );
        } finally {
          await stack.stop();
        }
      },
    );
}

/** Hands an extract to a cycle that waits for it (e.g. one the quarterly schedule started), or starts the cycle. */
export function registerExtractCommands(program: Command): void {
  program.commands
    .find((c) => c.name() === 'subsidy')!
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
        const upload = await storeUpload(stack.subsidyDeps, o.file);
        const workflowId = cycleIdFor(o.quarter);
        try {
          await stack.client.workflow.signalWithStart(subsidyCycleWorkflow, {
            taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
            workflowId,
            ...cycleStartMetadata({ quarter: o.quarter }),
            args: [{ quarter: o.quarter }],
            // A quarter that already ran is never run again.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            signal: extractUploadedSignal,
            signalArgs: [{ extractHash: upload.hash, actor: { subject: 'cli', role: 'city_health_commission' } }],
          });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) {
            throw new CliError(
              `${workflowId} already ran; its payments stand (omissions go to a back-pay run; a cycle that ended without completing: subsidy cycle restart)`,
            );
          }
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
  const schedule = program.commands
    .find((c) => c.name() === 'subsidy')!
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
        for (const recent of d.info.recentActions.slice(-4))
          console.log(`ran: ${recent.takenAt.toISOString()} ${recent.action.workflow.workflowId}`);
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
        if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
          throw new CliError('--from/--to: not ISO instants');
        await handleOf(stack).backfill({ start, end, overlap: 'ALLOW_ALL' as never });
      }),
    );
}
