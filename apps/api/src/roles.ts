import { ROLE_NAME_RE } from './config';
import type { Queryable } from './db';

/**
 * Everything the service's database role may do: exactly the statements src/products.ts runs. A new table or
 * statement needs its line here; the real-PostgreSQL suite runs as this role, so a missing grant fails a test.
 */
export const APP_TABLE_PRIVILEGES: Record<string, readonly string[]> = {
  products: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  idempotency_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
};

export interface AppRoleOptions {
  /** The service's role (DATABASE_APP_USER, `api`). */
  name: string;
  /** Local/CI only: a password for the role. On RDS (rds_iam exists) the role logs in with an IAM token. */
  password?: string;
}

const ident = (name: string) => {
  if (!ROLE_NAME_RE.test(name)) throw new Error(`migrate: "${name}" is not a role name this service manages`);
  return `"${name}"`;
};

/**
 * Creates the service's role if needed and brings its rights back to exactly APP_TABLE_PRIVILEGES, on every
 * migrate (inside its transaction, under its lock): grants that drifted in by hand are revoked, tables added
 * by later migrations are granted. Runs as the owner (the RDS master user); refuses a privileged app role.
 */
export async function ensureAppRole(tx: Queryable, opts: AppRoleOptions, log: (msg: string) => void): Promise<void> {
  const role = ident(opts.name);
  const { rows: me } = await tx.query<{ user: string; db: string }>('select current_user as "user", current_database() as db');
  if (me[0]!.user === opts.name) throw new Error(`migrate: DATABASE_APP_USER "${opts.name}" is the role running the migrations; the service needs its own, unprivileged role`);
  const { rows: existing } = await tx.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; rolreplication: boolean; rolbypassrls: boolean }>(
    'select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls from pg_roles where rolname = $1',
    [opts.name],
  );
  if (existing.length === 0) {
    await tx.exec(`create role ${role} login`);
    log(`created role ${opts.name}`);
  } else {
    const r = existing[0]!;
    const powers = Object.entries({ SUPERUSER: r.rolsuper, CREATEROLE: r.rolcreaterole, CREATEDB: r.rolcreatedb, REPLICATION: r.rolreplication, BYPASSRLS: r.rolbypassrls })
      .filter(([, on]) => on)
      .map(([k]) => k);
    if (powers.length) throw new Error(`migrate: role ${opts.name} has ${powers.join(', ')}; the service's role must have none (ALTER ROLE ${opts.name} NO${powers.join(' NO')})`);
    await tx.exec(`alter role ${role} login`);
  }
  // Membership in another role would lend its rights (rds_iam only enables IAM authentication).
  const { rows: member } = await tx.query<{ rolname: string }>(
    `select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member
     where u.rolname = $1 and g.rolname <> 'rds_iam'`,
    [opts.name],
  );
  if (member.length) throw new Error(`migrate: role ${opts.name} is a member of ${member.map((m) => m.rolname).join(', ')}; revoke that: the service's role holds only its own grants`);

  const db = `"${me[0]!.db.replace(/"/g, '""')}"`;
  await tx.exec(`revoke all on all tables in schema public from ${role};
    revoke all on all sequences in schema public from ${role};
    revoke all on all functions in schema public from ${role};
    revoke create on schema public from ${role};
    revoke all on database ${db} from ${role};
    grant connect on database ${db} to ${role};
    grant usage on schema public to ${role};`);
  for (const [table, privileges] of Object.entries(APP_TABLE_PRIVILEGES)) {
    await tx.exec(`grant ${privileges.join(', ')} on table public.${table} to ${role}`);
  }

  const { rows: iam } = await tx.query("select 1 from pg_roles where rolname = 'rds_iam'");
  if (iam.length) {
    // RDS: members of rds_iam must log in with an IAM token (rds-db:connect); they have no password.
    await tx.exec(`grant rds_iam to ${role}`);
    if (opts.password) log(`DATABASE_APP_PASSWORD ignored: ${opts.name} authenticates with IAM (rds_iam)`);
  } else if (opts.password) {
    // format(%L) quotes the literal server-side; this path is for local and CI clusters only.
    const { rows } = await tx.query<{ sql: string }>('select format($$alter role %I password %L$$, $1::text, $2::text) as sql', [opts.name, opts.password]);
    await tx.exec(rows[0]!.sql);
  }
  log(`role ${opts.name}: ${Object.entries(APP_TABLE_PRIVILEGES).map(([t, p]) => `${t} ${p.join('/')}`).join('; ')}${iam.length ? '; rds_iam' : ''}`);
}
