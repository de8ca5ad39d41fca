import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const CLI = path.join(REPO, 'apps/infra/bin/platform.js');

/** A throwaway workspace: package.json + a copy of environments/, so tests can break files safely. */
export function tempWorkspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'awp-ws-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"tmp","private":true}\n');
  mkdirSync(path.join(dir, 'environments'));
  for (const f of readdirSync(path.join(REPO, 'environments'))) cpSync(path.join(REPO, 'environments', f), path.join(dir, 'environments', f));
  return dir;
}

export function editEnv(ws: string, name: string, edit: (raw: any) => void): void {
  const file = path.join(ws, 'environments', `${name}.json`);
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  edit(raw);
  writeFileSync(file, JSON.stringify(raw, null, 2));
}

/** Runs the real CLI entry point in a child process. */
export function cli(args: string[], cwd = REPO): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A digest of every file (path, size, content) under dir: equal digests mean nothing changed. */
export function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else h.update(`${path.relative(dir, full)}\0`).update(readFileSync(full));
    }
  };
  walk(dir);
  return h.digest('hex');
}

export function readStack(outdir: string, name: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
}

/** Every resource of one Terraform type in a synthesized stack. */
export function allOf(json: Record<string, any>, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The one resource of a type (the test fails when there are none or several). */
export function oneOf(json: Record<string, any>, type: string): Record<string, any> {
  const list = allOf(json, type);
  expect(list).toHaveLength(1);
  return list[0];
}
