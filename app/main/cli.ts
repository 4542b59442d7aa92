import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../platform/config';
import { registerAuditCommands } from '../cli/audit-commands';
import { registerAuthCommands } from '../cli/auth-commands';
import { registerCalendarCommands, registerDeadlinesCommand } from '../cli/calendar-commands';
import { registerHousingCommands } from '../cli/housing-commands';
import { CliError } from '../cli/output';
import { registerStackCommands } from '../cli/stack-commands';
import { registerExtractCommands, registerScheduleCommands, registerSubsidyCommands } from '../cli/subsidy-commands';
import { installProcessGuards, installSignalHandlers, stoppingOnSignal } from '../stack/signals';

const program = new Command()
  .name('cli')
  .description('Xuchang durable government workflows: subsidy cycles, housing purchases, audit')
  .exitOverride()
  .showHelpAfterError();

installSignalHandlers((line) => process.stderr.write(`${line}\n`));

installProcessGuards();

registerStackCommands(program);
registerAuthCommands(program);
registerAuditCommands(program);
registerSubsidyCommands(program);
registerScheduleCommands(program);
registerHousingCommands(program);
registerExtractCommands(program);
registerDeadlinesCommand(program);
registerCalendarCommands(program);

try {
  await program.parseAsync(process.argv);
  process.exitCode = 0;
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  // Interrupted: the signal handler stops the stack and exits; what failed because of it is no news.
  if (stoppingOnSignal()) await new Promise(() => {});
  const message =
    error instanceof Error && error.message
      ? error.message
      : `${error instanceof Error ? error.name : 'failure'} without a message (${String(error)}); the servers' logs are in DATA_DIR/logs`;
  process.stderr.write(`error: ${message.split('\n')[0]}\n`);
  if (!(error instanceof CliError || error instanceof ConfigError) && process.env.DEBUG) console.error(error);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
