import type { Command } from 'commander';
import { dataPaths, loadConfig } from '../../platform/config';
import { databaseUrl } from '../stack/postgres';
import { runUntilSignal } from '../stack/signals';
import { StackAlreadyRunning, startStack } from '../stack/stack';
import { maskUrl, progress } from './output';

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('the embedded stack: PostgreSQL, Temporal dev server, worker, API');
  stack
    .command('start')
    .description('start everything and keep running until Ctrl-C / SIGTERM (this is `npm start`)')
    .action(async () => {
      const config = loadConfig();
      let running;
      try {
        running = await startStack(config, { worker: true, api: true }, progress);
      } catch (error) {
        // Not a failure: the stack the user asked for runs. Say where, start nothing, exit 0.
        if (error instanceof StackAlreadyRunning) {
          console.log(error.message);
          return;
        }
        throw error;
      }
      const lines = [
        ['DATA_DIR', config.DATA_DIR],
        [
          'PostgreSQL',
          `${maskUrl(running.postgres.url)}${config.DATABASE_URL ? '' : ` (embedded, ${dataPaths(config).postgres})`}`,
        ],
        ['Temporal', `${running.temporal.address}${config.TEMPORAL_ADDRESS ? '' : ' (dev server)'}`],
        ['Temporal UI', running.temporal.uiUrl ?? '(external cluster: use its own UI)'],
        ['Worker', `task queue ${config.TEMPORAL_TASK_QUEUE}`],
        ['API', `${running.apiUrl} (OpenAPI at ${running.apiUrl}/docs, health at ${running.apiUrl}/health)`],
      ];
      for (const [name, value] of lines) console.log(`${name!.padEnd(13)} ${value}`);
      console.log('ready — Ctrl-C stops everything this command started');
      await runUntilSignal(running.stop, progress);
      console.log('stopped');
    });

  const db = program.command('db').description('the PostgreSQL database');
  db.command('url')
    .description('print the connection URL of this DATA_DIR (starts nothing)')
    .action(() => {
      console.log(databaseUrl(loadConfig()));
    });
}
