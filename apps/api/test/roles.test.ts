import pg from 'pg';
import { APP_TABLE_PRIVILEGES } from '../src/roles';
import { killAll, runCommand } from './harness';

// Least privilege in the database (issue 12, item 7): the migrations run as the owner and create the service's
// role; the service (and this whole suite, through DATABASE_URL) connects as that role. Needs real PostgreSQL
// with an owner and an app role: .ci/setup/20-services.sh exports DATABASE_OWNER_URL and DATABASE_APP_USER.
const env = process.env;
const CAN = !!(env.DATABASE_URL && env.DATABASE_OWNER_URL && env.DATABASE_APP_USER);
if (!CAN) console.log('SKIPPED database role tests: set DATABASE_URL, DATABASE_OWNER_URL and DATABASE_APP_USER (.ci/setup/20-services.sh does)');
const suite = CAN ? describe : describe.skip;
const APP = env.DATABASE_APP_USER ?? 'api';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const asOwner = <T>(fn: (c: pg.Client) => Promise<T>) => withClient(env.DATABASE_OWNER_URL!, fn);
const asApp = <T>(fn: (c: pg.Client) => Promise<T>) => withClient(env.DATABASE_URL!, fn);

function migrate(extra: Record<string, string | undefined> = {}) {
  return runCommand(['migrate'], extra);
}

async function grants(): Promise<Record<string, string[]>> {
  return asOwner(async (c) => {
    const { rows } = await c.query<{ table_name: string; privilege_type: string }>(
      'select table_name, privilege_type from information_schema.role_table_grants where grantee = $1 order by 1, 2',
      [APP],
    );
    const out: Record<string, string[]> = {};
    for (const r of rows) (out[r.table_name] ??= []).push(r.privilege_type);
    return out;
  });
}

const sorted = (o: Record<string, readonly string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]));

afterAll(() => killAll());

suite('the service role', () => {
  beforeAll(() => {
    const m = migrate();
    expect(m.code).toBe(0);
  }, 90_000);

  test('the suite connects as the app role, which has no special powers', async () => {
    const me = await asApp((c) => c.query('select current_user as u, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = current_user'));
    expect(me.rows[0]).toEqual({ u: APP, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false });
    expect(new URL(env.DATABASE_OWNER_URL!).username).not.toBe(APP);
  });

  test('its table rights are exactly APP_TABLE_PRIVILEGES', async () => {
    expect(await grants()).toEqual(sorted(APP_TABLE_PRIVILEGES));
  });

  test.each([
    ['create a table', 'create table intruder (i int)'],
    ['read the migrations table', 'select * from schema_migrations'],
    ['drop a table', 'drop table products'],
    ['alter a table', 'alter table products add column intruder int'],
    ['truncate (delete without a trace)', 'truncate products'],
    ['create a role', 'create role intruder'],
    ['create a schema', 'create schema intruder'],
  ])('cannot %s', async (_what, sql) => {
    const err = await asApp((c) => c.query(sql)).catch((e: { code?: string }) => e);
    expect((err as { code?: string }).code).toBe('42501'); // insufficient_privilege
  });

  test('cannot run the migrations itself', () => {
    const m = migrate({ DATABASE_OWNER_URL: env.DATABASE_URL });
    expect(m.code).toBe(1);
    expect(m.out).toMatch(/permission denied/);
  });

  test('every migrate repairs drift: a grant added by hand is revoked', async () => {
    await asOwner(async (c) => {
      await c.query(`grant truncate, references on products to ${APP}`);
      await c.query('create table if not exists drift_probe (i int)');
      await c.query(`grant select on drift_probe to ${APP}`);
    });
    try {
      expect((await grants()).drift_probe).toEqual(['SELECT']);
      expect(migrate().code).toBe(0);
      expect(await grants()).toEqual(sorted(APP_TABLE_PRIVILEGES));
    } finally {
      await asOwner((c) => c.query('drop table if exists drift_probe'));
    }
  }, 90_000);

  test('a privileged app role is refused, not used', async () => {
    await asOwner((c) => c.query(`alter role ${APP} createdb`));
    try {
      const m = migrate();
      expect(m.code).toBe(1);
      expect(m.out).toContain(`role ${APP} has CREATEDB; the service's role must have none`);
    } finally {
      await asOwner((c) => c.query(`alter role ${APP} nocreatedb`));
    }
  }, 90_000);

  test('the app role may not be the owner', () => {
    const m = migrate({ DATABASE_APP_USER: new URL(env.DATABASE_OWNER_URL!).username });
    expect(m.code).toBe(1);
    expect(m.out).toContain('is the role running the migrations');
  });

  test('on RDS (a role rds_iam exists) the app role is granted rds_iam and no password is set', async () => {
    await asOwner((c) => c.query("select 1 from pg_roles where rolname = 'rds_iam'").then((r) => (r.rowCount ? undefined : c.query('create role rds_iam'))));
    try {
      const m = migrate();
      expect(m.code).toBe(0);
      expect(m.out).toContain('DATABASE_APP_PASSWORD ignored');
      const member = await asOwner((c) => c.query("select pg_has_role($1, 'rds_iam', 'member') as m", [APP]));
      expect(member.rows[0].m).toBe(true);
    } finally {
      await asOwner((c) => c.query('drop role if exists rds_iam'));
    }
  }, 90_000);
});
