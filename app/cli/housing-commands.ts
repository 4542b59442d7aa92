import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { housingProgressReport, writeProgressReportXlsx } from '../../housing/activities/report';
import {
  listingProgressQuery,
  listingWorkflowId,
  PURCHASE_PLAN_ID,
  planStateQuery,
} from '../../housing/contracts/definitions';
import { housingStreams } from '../../housing/contracts/events';
import { listingIntakeSchema, registerDemand, registerListing } from '../../housing/services/intake';
import { ensurePurchasePlan, startListingWorkflow } from '../../housing/services/starter';
import { formatYuan } from '../../platform/common/money';
import { loadConfig } from '../../platform/config';
import { type Stack, startStack } from '../stack/stack';
import { CliError, progress } from './output';

const CLI_ACTOR = 'cli:housing-operator';

/** Runs `use` on the stack (servers reused when `npm start` runs); the worker is the running system's. */
async function withStack<T>(use: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(loadConfig(), { worker: false, api: false }, progress);
  try {
    return await use(stack);
  } finally {
    await stack.stop();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Listing intake and status of the housing purchase (许政办〔2025〕10号) from the command line. */
export function registerHousingCommands(program: Command): void {
  const housing = program.command('housing').description('purchases of existing housing (许政办〔2025〕10号)');
  const listing = housing.command('listing').description('listings of the platform (房源超市, 工作任务(一))');

  listing
    .command('add')
    .description('register a listing from a JSON file (the body of POST /housing/listings) and start its workflow')
    .requiredOption(
      '--file <file>',
      'listing JSON: kind, region, address, complex, building, unit, floorAreaM2 ("89.50"), askingFen, certificates, seller',
    )
    .action(async (options: { file: string }) => {
      const parsed = listingIntakeSchema.safeParse(
        JSON.parse(
          await readFile(options.file, 'utf8').catch(() => {
            throw new CliError(`--file: cannot read ${options.file}`);
          }),
        ),
      );
      if (!parsed.success) throw new CliError(`--file: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
      await withStack(async (stack) => {
        const intake = { ...parsed.data, registeredOn: new Date().toISOString().slice(0, 10) };
        const registered = await registerListing(stack.subsidyDeps, intake, CLI_ACTOR);
        if (!registered.created) {
          const { existing } = registered;
          throw new CliError(
            `this home is already listed as ${existing.listingId} (same ${existing.matchedBy === 'property_certificate' ? 'property certificate' : 'address and unit'}), stage ${existing.stage}: nothing started`,
          );
        }
        const started = await startListingWorkflow(
          stack.client,
          stack.config.TEMPORAL_TASK_QUEUE,
          { listingId: registered.listingId, kind: intake.kind, region: intake.region },
          { planId: PURCHASE_PLAN_ID },
        );
        progress('listing registered');
        print({ listingId: registered.listingId, workflowId: started.workflowId });
      });
    });

  listing
    .command('status <listingId>')
    .description("a listing's stage, figures and recorded events")
    .action(async (listingId: string) => {
      await withStack(async (stack) => {
        const row = await stack.db
          .selectFrom('housing_listings')
          .selectAll()
          .where('listing_id', '=', listingId)
          .executeTakeFirst();
        if (!row) throw new CliError(`no listing ${listingId}`);
        const live = await stack.client.workflow
          .getHandle(listingWorkflowId(listingId))
          .query(listingProgressQuery)
          .catch(() => undefined);
        const events = await stack.store.readStream(housingStreams.listing(listingId));
        const yuan = (fen: string | null) => (fen === null ? null : formatYuan(Number(fen)));
        print({
          listingId,
          stage: live?.stage ?? row.stage,
          status: row.status,
          region: row.region,
          askingYuan: yuan(row.asking_fen),
          capYuan: yuan(row.cap_fen),
          agreedYuan: yuan(row.agreed_fen),
          events: events.map((e) => ({ at: e.recordedAt, type: e.type, actor: e.metadata.actor })),
        });
      });
    });

  housing
    .command('demand')
    .description('register demand for affordable rental housing in a region (以需定购, 组织实施(二))')
    .requiredOption('--region <code>', 'region code of data/housing-policy.json')
    .requiredOption('--units <n>', 'units wanted')
    .requiredOption('--reference <ref>', 'the demand register entry')
    .action(async (options: { region: string; units: string; reference: string }) => {
      const units = Number(options.units);
      if (!Number.isInteger(units) || units <= 0) throw new CliError('--units: a positive whole number');
      await withStack((stack) =>
        registerDemand(stack.subsidyDeps, { region: options.region, units, reference: options.reference }, CLI_ACTOR),
      );
      progress(`demand of ${units} unit(s) registered in ${options.region}`);
    });

  housing
    .command('report')
    .description(
      "the task force's weekly progress report (保障措施(二)): listings per stage, funds by source, handovers per region against demand",
    )
    .option('--xlsx <file>', 'also write it as an Excel workbook')
    .action(async (options: { xlsx?: string }) => {
      await withStack(async (stack) => {
        const report = await housingProgressReport(stack.db, PURCHASE_PLAN_ID);
        if (options.xlsx) {
          await writeProgressReportXlsx(report, options.xlsx);
          progress(`report written to ${options.xlsx}`);
        }
        print(report);
      });
    });

  housing
    .command('plan')
    .description("the purchase plan's funds and queue")
    .action(async () => {
      await withStack(async (stack) => {
        await ensurePurchasePlan(stack.client, stack.config.TEMPORAL_TASK_QUEUE, PURCHASE_PLAN_ID);
        const state = await stack.client.workflow.getHandle(PURCHASE_PLAN_ID).query(planStateQuery);
        print({
          funds: state.funds,
          waiting: state.queue.length,
          reserved: Object.keys(state.reserved).length,
          admitted: state.admittedTotal,
          settled: state.settledTotal,
        });
      });
    });
}
