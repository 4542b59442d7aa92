import type { Command } from 'commander';
import { ROLES, type Role } from '../security/roles';
import { issueToken, loadTokenSecret } from '../security/tokens';
import { KeyRingError, rotatePayloadKeyFile } from '../security/keyring';
import { loadConfig } from '../stack/config';
import { CliError } from './output';

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description('API tokens for the embedded stack');
  auth
    .command('token')
    .description('issue a signed bearer token (printed on stdout)')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--jurisdiction <code>', 'the jurisdiction a county reviewer acts for')
    .option('--subject <name>', 'who the token is for', 'operator')
    .option('--ttl <duration>', 'lifetime, e.g. 8h, 30m', '8h')
    .action(async (o: { role: string; jurisdiction?: string; subject: string; ttl: string }) => {
      if (!ROLES.includes(o.role as Role)) throw new CliError(`--role: unknown role ${o.role}; one of ${ROLES.join(', ')}`);
      const token = await issueToken(loadTokenSecret(loadConfig()), { subject: o.subject, role: o.role as Role, ...(o.jurisdiction ? { jurisdiction: o.jurisdiction } : {}) }, o.ttl).catch(
        (error: Error) => {
          throw new CliError(error.message);
        },
      );
      console.log(token);
    });
  auth
    .command('rotate-payload-key')
    .description('embedded stack: put a new payload-encryption key first in DATA_DIR/keys (old keys still decrypt); restart to use it')
    .action(() => {
      try {
        const key = rotatePayloadKeyFile(loadConfig());
        console.log(`new payload key ${key.id}; restart the stack's processes to encrypt with it`);
      } catch (error) {
        if (error instanceof KeyRingError) throw new CliError(error.message);
        throw error;
      }
    });
}
