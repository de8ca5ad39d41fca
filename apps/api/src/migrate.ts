import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db';
import { ensureAppRole, type AppRoleOptions } from './roles';

/** apps/api/migrations, both from src/ (tsx) and dist/ (node); MIGRATIONS_DIR overrides (the image copies them). */
export const MIGRATIONS_DIR = process.env.MIGRATIONS_DIR || path.join(__dirname, '..', 'migrations');

export interface Migration {
  version: string;
  file: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file) => {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file);
    if (!m) throw new Error(`migrate: ${path.join(dir, file)}: name must look like 0001_description.sql`);
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    return { version: m[1]!, file, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
  });
}

/**
 * Applies pending migrations in order, each in its own transaction, under an advisory lock so two
 * Jobs (or pods) never migrate at once. An applied migration whose file changed is an error.
 * With `appRole`, it then creates or repairs the service's least-privilege role (roles.ts) in the same
 * transaction. Runs as the database owner (the RDS master user in AWS).
 */
export async function migrate(db: Db, log: (msg: string) => void = () => {}, opts: { dir?: string; appRole?: AppRoleOptions } = {}): Promise<string[]> {
  const dir = opts.dir ?? MIGRATIONS_DIR;
  const migrations = readMigrations(dir);
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(7007007)');
    await tx.query(`create table if not exists schema_migrations (
      version text primary key, file text not null, checksum text not null, applied_at timestamptz not null default now())`);
    const { rows } = await tx.query<{ version: string; file: string; checksum: string }>(
      'select version, file, checksum from schema_migrations order by version',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    for (const m of migrations) {
      const prev = done.get(m.version);
      if (prev) {
        if (prev.checksum !== m.checksum) {
          throw new Error(`migrate: ${m.file} was changed after it was applied (checksum differs); add a new migration instead`);
        }
        continue;
      }
      // All pending files run in this one transaction: a failure leaves the schema exactly as it was.
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, file, checksum) values ($1, $2, $3)', [m.version, m.file, m.checksum]);
      applied.push(m.file);
      log(`applied ${m.file}`);
    }
    // PGlite (embedded) is one process and one user: there is no role to keep small.
    if (opts.appRole && db.kind === 'postgres') await ensureAppRole(tx, opts.appRole, log);
  });
  return applied;
}
