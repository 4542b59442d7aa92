import type { Command } from 'commander';
import { loadConfig } from '../../platform/config';
import { importArrangement, workingCalendar } from '../../subsidy/activities/holidays';
import { calendarUpdatedSignal } from '../../subsidy/contracts/definitions';
import { parseQuarter } from '../../subsidy/rules';
import { cycleDeadlinesFor } from '../../subsidy/rules/calendar';
import { startStack } from '../stack/stack';
import { CliError, progress } from './output';

/** `subsidy deadlines --quarter Q` (CONTRACT.md): 第十条's dates, each marked provisional where its year is. Starts no server. */
export function registerDeadlinesCommand(program: Command): void {
  program.commands
    .find((c) => c.name() === 'subsidy')!
    .command('deadlines')
    .description(
      "the quarter's deadlines (extract, review, payment), marked (provisional) where the year's holiday arrangement is not loaded",
    )
    .requiredOption('--quarter <YYYYQn>', 'the quarter whose discharges are paid')
    .action((o: { quarter: string }) => {
      try {
        parseQuarter(o.quarter);
      } catch (error) {
        throw new CliError(`--quarter: ${error instanceof Error ? error.message : String(error)}`);
      }
      const calendar = workingCalendar();
      const d = cycleDeadlinesFor(o.quarter, calendar);
      for (const [name, at] of [
        ['extract_due', d.extractDue],
        ['review_due', d.reviewDue],
        ['payment_due', d.paymentDue],
      ] as const) {
        const date = at.slice(0, 10);
        console.log(
          `${name} ${date}${calendar.sourceOf(Number(date.slice(0, 4))) === 'provisional' ? ' (provisional)' : ''}`,
        );
      }
    });
}

/** `calendar import FILE`: a year's official holiday arrangement, stored as data/holidays/YYYY.json. */
export function registerCalendarCommands(program: Command): void {
  const calendar = program
    .command('calendar')
    .description('the working-day calendar (工作日, 调休) behind every deadline');
  calendar
    .command('import')
    .description(
      "load a year's official holiday arrangement (JSON: year, notice, holidays[], workdays[]) and tell waiting cycles",
    )
    .argument('<file>', 'the arrangement, typed from the State Council notice')
    .option('--no-notify', 'only store the file; waiting cycles then pick it up within a day')
    .action(async (file: string, o: { notify: boolean }) => {
      let stored: Awaited<ReturnType<typeof importArrangement>>;
      try {
        stored = await importArrangement(file);
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      const { arrangement } = stored;
      console.log(
        `holiday arrangement ${arrangement.year} (${arrangement.notice}): ${arrangement.holidays.length} days off, ${arrangement.workdays.length} make-up workdays → ${stored.stored}`,
      );
      if (!o.notify) return;
      const stack = await startStack(loadConfig(), { worker: false, api: false }, progress);
      try {
        let told = 0;
        for await (const w of stack.client.workflow.list({
          query: `WorkflowType = 'subsidyCycleWorkflow' AND ExecutionStatus = 'Running'`,
        })) {
          await stack.client.workflow.getHandle(w.workflowId).signal(calendarUpdatedSignal, { year: arrangement.year });
          told++;
        }
        console.log(`${told} waiting cycle(s) re-read their deadlines`);
      } finally {
        await stack.stop();
      }
    });
}
