import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../src/migrate';
import { createThreadedPgliteDb, type PgliteDb } from '../src/pglite-thread';

// The embedded database's worker (src/pglite-thread-worker.ts): named prepared statements on PGlite's wire protocol,
// and autovacuum's rules applied by the worker (PGlite has no autovacuum daemon).

const COLS = 'id, seq, sku, name, description, price_cents, currency, category, version, created_at';
const INSERT = `insert into products (sku, name, description, price_cents, currency, category) values ($1, $2, $3, $4, $5, $6) returning ${COLS}`;
const LIST = `select ${COLS} from products where seq > $1 and category = $3 order by seq limit $2`;

/** n products over ten categories in one statement (what `seed` does), through the worker's counted path. */
async function bulk(db: PgliteDb, n: number, prefix = 'B') {
  return db.primary.query(
    `insert into products (sku, name, price_cents, currency, category)
     select $2 || g, 'n' || g, g, 'EUR', (array['a','b','c','d','e','f','g','h','i','j'])[1 + g % 10] from generate_series(1, $1::int) g`,
    [n, prefix],
  );
}

/** pg_class.reltuples of products: -1 until the table is first analyzed or vacuumed, then what it counted. */
async function reltuples(db: PgliteDb): Promise<number> {
  const { rows } = await db.read.query<{ n: number }>("select reltuples::float8 as n from pg_class where relname = 'products'");
  return rows[0]!.n;
}

async function listPlan(db: PgliteDb): Promise<string> {
  const { rows } = await db.read.query<Record<string, string>>(`explain ${LIST.replace('$1', '0').replace('$2', '21').replace('$3', "'c'")}`);
  return rows.map((r) => Object.values(r)[0]).join('\n');
}

// One migrated database directory, copied for each use: a new PGlite directory takes ~4 s (initdb), a copy ~0.2 s.
let template: string;
beforeAll(async () => {
  template = fs.mkdtempSync(path.join(os.tmpdir(), 'awp-pglite-template-'));
  const db = await createThreadedPgliteDb({ embeddedDataDir: template }, { maintenanceIntervalMs: 0 });
  await migrate(db);
  await db.close();
}, 60_000);
afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

/** A migrated database in a new directory, for each test (`each`) or for the whole block. */
function freshDb(each: boolean) {
  const state = {} as { dir: string; db: PgliteDb };
  (each ? beforeEach : beforeAll)(async () => {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'awp-pglite-'));
    fs.cpSync(template, state.dir, { recursive: true });
    state.db = await createThreadedPgliteDb({ embeddedDataDir: state.dir }, { maintenanceIntervalMs: 0 });
  });
  (each ? afterEach : afterAll)(async () => {
    await state.db.close();
    fs.rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}

describe('embedded database thread: named prepared statements', () => {
  const t = freshDb(false);

  test('a prepared statement answers like PGlite.query: types, nulls, row counts', async () => {
    const ins = await t.db.primary.query<Record<string, unknown>>(INSERT, ['S-1', 'first', null, 1999, 'EUR', 'c']);
    expect(ins.rowCount).toBe(1);
    const row = ins.rows[0]!;
    expect(row).toMatchObject({ sku: 'S-1', name: 'first', description: null, currency: 'EUR', category: 'c', version: 1 });
    expect(Number(row.price_cents)).toBe(1999);
    expect(Object.prototype.toString.call(row.created_at)).toBe('[object Date]'); // (another realm's Date under jest)
    expect(typeof row.id).toBe('string');
    await t.db.primary.query(INSERT, ['S-2', 'second', 'has one', 5, 'USD', 'c']);
    const list = await t.db.read.query<{ sku: string; description: string | null }>(LIST, [0, 10, 'c']);
    expect(list.rows.map((r) => [r.sku, r.description])).toEqual([['S-1', null], ['S-2', 'has one']]);
    expect((await t.db.read.query(LIST, [0, 10, 'nothing'])).rows).toEqual([]);
    const upd = await t.db.primary.query('update products set version = version + 1 where category = $1', ['c']);
    expect(upd.rowCount).toBe(2);
    const del = await t.db.primary.query('delete from products where sku = $1', ['missing']);
    expect(del.rowCount).toBe(0);
  });

  test('each SQL text is parsed once: one entry in pg_prepared_statements after many calls', async () => {
    for (let i = 0; i < 5; i++) await t.db.read.query(LIST, [i, 3, 'c']);
    const { rows } = await t.db.read.query<{ statement: string; n: number }>(
      'select statement, count(*)::int as n from pg_prepared_statements where statement = $1 group by statement',
      [LIST],
    );
    expect(rows).toEqual([{ statement: LIST, n: 1 }]);
  });

  test('errors keep their SQLSTATE fields and leave the connection usable; a bad statement is not remembered', async () => {
    await t.db.primary.query(INSERT, ['DUP', 'x', null, 1, 'EUR', 'c']);
    await expect(t.db.primary.query(INSERT, ['DUP', 'y', null, 1, 'EUR', 'c'])).rejects.toMatchObject({ code: '23505', constraint: 'products_sku_key', query: INSERT });
    // a check violation on the same prepared statement, then a good call on it
    await expect(t.db.primary.query(INSERT, ['NEG', 'y', null, -1, 'EUR', 'c'])).rejects.toMatchObject({ code: '23514' });
    expect((await t.db.primary.query(INSERT, ['OK', 'z', null, 1, 'EUR', 'c'])).rowCount).toBe(1);
    for (let i = 0; i < 2; i++) await expect(t.db.read.query('selec $1', [1])).rejects.toMatchObject({ code: '42601' });
    expect((await t.db.read.query<{ n: number }>('select count(*)::int as n from products where sku = any($1)', [['DUP', 'OK']])).rows[0]!.n).toBe(2);
  });

  test('a statement whose table changed shape, or that was deallocated, is prepared again', async () => {
    const BY_SKU = 'select name from products where sku = $1';
    await t.db.primary.query(INSERT, ['SHAPE', 'before', null, 1, 'EUR', 'c']);
    expect((await t.db.read.query(BY_SKU, ['SHAPE'])).rows).toEqual([{ name: 'before' }]);
    await t.db.primary.exec('alter table products alter column name type varchar(300)'); // result type text → varchar
    expect((await t.db.read.query(BY_SKU, ['SHAPE'])).rows).toEqual([{ name: 'before' }]);
    await t.db.primary.exec('alter table products alter column name type text');
    await t.db.primary.exec('deallocate all');
    expect((await t.db.read.query(BY_SKU, ['SHAPE'])).rows).toEqual([{ name: 'before' }]);
    expect((await t.db.read.query(INSERT.replace('$1', "'SHAPE-2'").replace('$2', '$1').replace('$3', '$2').replace('$4', '$3').replace('$5', '$4').replace('$6', '$5'), ['n', null, 1, 'EUR', 'c'])).rowCount).toBe(1);
  });

  test('a failed statement inside a transaction rolls the whole transaction back', async () => {
    await t.db.primary.query(INSERT, ['TAKEN', 'x', null, 1, 'EUR', 'c']);
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(INSERT, ['IN-TX', 'x', null, 1, 'EUR', 'c']);
        await tx.query(INSERT, ['TAKEN', 'x', null, 1, 'EUR', 'c']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await t.db.read.query('select 1 from products where sku = $1', ['IN-TX'])).rows).toEqual([]);
  });

});

describe('embedded database thread: autovacuum', () => {
  const t = freshDb(true);
  test('autovacuum rules: ANALYZE after 50 + 10 % changed rows, VACUUM ANALYZE after 50 + 20 % dead, nothing below', async () => {
    await bulk(t.db, 10_000);
    expect(await reltuples(t.db)).toBeLessThanOrEqual(0); // no statistics of these rows: the planner guesses (it sorted whole categories, README)
    const first = await t.db.maintain();
    expect(first).toMatchObject({ analyzed: ['products'], vacuumed: [] });
    expect(await reltuples(t.db)).toBe(10_000);
    const plan = await listPlan(t.db);
    expect(plan).toMatch(/Index Scan using products_/); // (category, seq) or seq with a filter: both stop after 21 rows
    expect(plan).not.toMatch(/Sort/);
    expect(await t.db.maintain()).toBeNull(); // nothing changed since
    await t.db.primary.query("update products set name = name || '!' where seq <= $1", [1000]); // 1,000 < 50 + 10 % of 10,000
    expect(await t.db.maintain()).toBeNull();
    await t.db.primary.query("update products set name = name || '!' where seq <= $1", [100]); // 1,100 changed ≥ 1,050
    expect(await t.db.maintain()).toMatchObject({ analyzed: ['products'], vacuumed: [] });
    await t.db.primary.query('delete from products where seq <= $1', [1000]); // 1,100 + 1,000 dead ≥ 50 + 20 % of 10,000
    expect(await t.db.maintain()).toMatchObject({ analyzed: ['products'], vacuumed: ['products'] });
    expect(await reltuples(t.db)).toBe(9_000);
    const { rows } = await t.db.read.query<{ last_vacuum: Date | null }>("select last_vacuum from pg_stat_user_tables where relname = 'products'");
    expect(rows[0]!.last_vacuum).not.toBeNull();
  });

  test('the timer runs the rules between transactions and reports what it did', async () => {
    await t.db.close();
    const seen: unknown[] = [];
    t.db = await createThreadedPgliteDb({ embeddedDataDir: t.dir }, { maintenanceIntervalMs: 50, onMaintenance: (r) => seen.push(r) });
    // A transaction open across several ticks with a VACUUM due: run inside it, VACUUM would fail and abort it.
    await t.db.transaction(async (tx) => {
      const inTx = Object.assign(Object.create(t.db), { primary: tx }) as PgliteDb;
      await bulk(inTx, 500, 'T');
      await tx.query('delete from products where seq <= $1', [300]);
      await new Promise((r) => setTimeout(r, 300));
      await tx.query(INSERT, ['T-LAST', 'x', null, 1, 'EUR', 'c']);
    });
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([expect.objectContaining({ analyzed: ['products'], vacuumed: ['products'] })]);
  });

  test('never inside a transaction opened with exec("BEGIN"): nothing until it ends', async () => {
    await t.db.primary.exec('BEGIN');
    await bulk(t.db, 500, 'X');
    await t.db.primary.query('delete from products where seq <= $1', [300]);
    expect(await t.db.maintain()).toBeNull();
    expect((await t.db.read.query<{ n: number }>('select count(*)::int as n from products')).rows[0]!.n).toBe(200); // still usable
    await t.db.primary.exec('COMMIT');
    expect(await t.db.maintain()).toMatchObject({ analyzed: ['products'], vacuumed: ['products'] });
  });

  test('at start, tables grown past their statistics by an earlier process are analyzed', async () => {
    await bulk(t.db, 3000);
    expect(await reltuples(t.db)).toBeLessThanOrEqual(0);
    await t.db.close();
    const seen: unknown[] = [];
    t.db = await createThreadedPgliteDb({ embeddedDataDir: t.dir }, { maintenanceIntervalMs: 0, onMaintenance: (r) => seen.push(r) });
    expect(seen).toEqual([expect.objectContaining({ analyzed: ['products'], vacuumed: [] })]);
    expect(await reltuples(t.db)).toBe(3000);
    expect(await listPlan(t.db)).not.toMatch(/Sort/);
    // a table whose statistics still hold is not analyzed again at the next start
    await t.db.close();
    t.db = await createThreadedPgliteDb({ embeddedDataDir: t.dir }, { maintenanceIntervalMs: 0, onMaintenance: (r) => seen.push(r) });
    expect(seen).toHaveLength(1);
  });
});
