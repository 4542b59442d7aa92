import { randomBytes, type ScryptOptions, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Actor, ROLES, type Role, SCOPED_ROLES } from '../../../platform/security/roles';

// The console's local accounts (migration 0008). Passwords: scrypt from node:crypto (no native
// dependency), N=2^15, r=8, p=1 — the OWASP-recommended minimum — with a 16-byte salt per user.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
const scryptOptions = (n: number, r: number, p: number): ScryptOptions => ({
  N: n,
  r,
  p,
  maxmem: 256 * n * r + 1024 * 1024,
});

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, scryptOptions(N, R, P));
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(
    password.normalize('NFKC'),
    Buffer.from(salt, 'base64'),
    expected.length,
    scryptOptions(Number(n), Number(r), Number(p)),
  );
  return timingSafeEqual(key, expected);
}

export interface ConsoleUsersTable {
  name: string;
  display_name: string;
  role: string;
  jurisdiction: string | null;
  password_hash: string;
  disabled: boolean;
}
type UsersDb = Kysely<{ console_users: ConsoleUsersTable }>;
// The table lives outside platform/db/schema.ts's Database on purpose: only the console and the CLI touch it.
const users = (db: Kysely<any>): UsersDb => db as UsersDb;

export class UserError extends Error {
  override name = 'UserError';
}

export interface NewUser {
  name: string;
  displayName?: string;
  role: string;
  jurisdiction?: string;
  password: string;
}

/** Creates or replaces (password, role, scope) a local account; the same rules as a token's actor. */
export async function upsertUser(db: Kysely<any>, user: NewUser): Promise<void> {
  if (!/^[A-Za-z0-9._@-]{2,64}$/.test(user.name)) throw new UserError('--name: 2–64 letters, digits or . _ @ -');
  if (!ROLES.includes(user.role as Role))
    throw new UserError(`--role: unknown role ${user.role}; one of ${ROLES.join(', ')}`);
  if (SCOPED_ROLES.includes(user.role as Role) && !user.jurisdiction)
    throw new UserError(`--jurisdiction: a ${user.role} acts for one county (e.g. 411002)`);
  if (user.password.length < 10) throw new UserError('the password needs at least 10 characters');
  const row = {
    name: user.name,
    display_name: user.displayName ?? user.name,
    role: user.role,
    jurisdiction: user.jurisdiction ?? null,
    password_hash: await hashPassword(user.password),
    disabled: false,
  };
  await users(db)
    .insertInto('console_users')
    .values(row)
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        display_name: row.display_name,
        role: row.role,
        jurisdiction: row.jurisdiction,
        password_hash: row.password_hash,
        disabled: false,
      }),
    )
    .execute();
}

export async function disableUser(db: Kysely<any>, name: string): Promise<boolean> {
  const result = await users(db)
    .updateTable('console_users')
    .set({ disabled: true })
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listUsers(db: Kysely<any>): Promise<Omit<ConsoleUsersTable, 'password_hash'>[]> {
  return users(db)
    .selectFrom('console_users')
    .select(['name', 'display_name', 'role', 'jurisdiction', 'disabled'])
    .orderBy('name')
    .execute();
}

// A hash to compare against when the name is unknown, so a wrong name costs as long as a wrong password.
let decoy: Promise<string> | undefined;

/** The actor of a name and password, or undefined (unknown, disabled or wrong password: the caller cannot tell which). */
export async function authenticate(
  db: Kysely<any>,
  name: string,
  password: string,
): Promise<(Actor & { displayName: string }) | undefined> {
  const row = await users(db).selectFrom('console_users').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row || row.disabled) {
    await verifyPassword(password, await (decoy ??= hashPassword(randomBytes(16).toString('hex'))));
    return undefined;
  }
  if (!(await verifyPassword(password, row.password_hash))) return undefined;
  return {
    subject: row.name,
    role: row.role as Role,
    displayName: row.display_name,
    ...(row.jurisdiction ? { jurisdiction: row.jurisdiction } : {}),
  };
}

/** Is a session still good: the account exists, is enabled and still has the role and scope the session names. */
export async function sessionStillValid(db: Kysely<any>, actor: Actor): Promise<boolean> {
  const row = await users(db)
    .selectFrom('console_users')
    .select(['role', 'jurisdiction', 'disabled'])
    .where('name', '=', actor.subject)
    .executeTakeFirst();
  return !!row && !row.disabled && row.role === actor.role && (row.jurisdiction ?? undefined) === actor.jurisdiction;
}
