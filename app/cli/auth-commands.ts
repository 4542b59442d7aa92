import type { Command } from 'commander';
import { loadConfig } from '../../platform/config';
import { createDb, migrateToLatest } from '../../platform/db/database';
import { KeyRingError, rotatePayloadKeyFile } from '../../platform/security/keyring';
import { ROLES, type Role } from '../../platform/security/roles';
import { issueToken, loadTokenSecret } from '../../platform/security/tokens';
import { disableUser, listUsers, UserError, upsertUser } from '../api/console/users';
import { ensurePostgres } from '../stack/postgres';
import { CliError, progress } from './output';

/** The first line of standard input: a password never goes on the command line (shell history, ps). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (at least 10 characters, then Enter): ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

async function withDb<T>(work: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const postgres = await ensurePostgres(loadConfig(), progress);
  const db = createDb(postgres.url);
  try {
    await migrateToLatest(db);
    return await work(db);
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}

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
      if (!ROLES.includes(o.role as Role))
        throw new CliError(`--role: unknown role ${o.role}; one of ${ROLES.join(', ')}`);
      const token = await issueToken(
        loadTokenSecret(loadConfig()),
        { subject: o.subject, role: o.role as Role, ...(o.jurisdiction ? { jurisdiction: o.jurisdiction } : {}) },
        o.ttl,
      ).catch((error: Error) => {
        throw new CliError(error.message);
      });
      console.log(token);
    });
  const user = auth.command('user').description("the work console's local accounts (sign-in at the API's root URL)");
  user
    .command('add')
    .description('create an account, or reset its password, role and scope; the password is read from standard input')
    .requiredOption('--name <name>', 'sign-in name')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--jurisdiction <code>', 'the county a county reviewer acts for, e.g. 411002')
    .option('--display-name <text>', 'shown in the console')
    .action(async (o: { name: string; role: string; jurisdiction?: string; displayName?: string }) => {
      const password = await readPassword();
      try {
        await withDb((db) => upsertUser(db, { ...o, password }));
      } catch (error) {
        if (error instanceof UserError) throw new CliError(error.message);
        throw error;
      }
      console.log(`user ${o.name} (${o.role}${o.jurisdiction ? ` ${o.jurisdiction}` : ''}) saved`);
    });
  user
    .command('disable')
    .description('disable an account; its open sessions stop working at their next request')
    .requiredOption('--name <name>', 'sign-in name')
    .action(async (o: { name: string }) => {
      if (!(await withDb((db) => disableUser(db, o.name)))) throw new CliError(`no user ${o.name}`);
      console.log(`user ${o.name} disabled`);
    });
  user
    .command('list')
    .description('list the accounts (never their passwords)')
    .action(async () => {
      for (const u of await withDb((db) => listUsers(db))) {
        console.log(
          [u.name, u.role, u.jurisdiction ?? '-', u.disabled ? 'disabled' : 'active', u.display_name].join('\t'),
        );
      }
    });
  auth
    .command('rotate-payload-key')
    .description(
      'embedded stack: put a new payload-encryption key first in DATA_DIR/keys (old keys still decrypt); restart to use it',
    )
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
