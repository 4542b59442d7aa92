import { type Kysely, sql } from 'kysely';

/**
 * Local accounts of the work console (api/console). Not a projection: credentials are no event and are
 * never rebuilt; an administrator creates them with `cli auth user add`. Roles and jurisdictions are
 * the API's (platform/security/roles.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table console_users (
      name text primary key,
      display_name text not null,
      role text not null,
      jurisdiction text,
      password_hash text not null,
      disabled boolean not null default false,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists console_users`.execute(db);
}
