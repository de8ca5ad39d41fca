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

/** One effective Allow/Deny of a role, its references resolved to the producing stack's own addresses (no hash suffixes). */
export interface RoleStatement {
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions: string[];
}

/**
 * The statements each IAM role of `stackName` receives there, however they are delivered: managed policies attached
 * (aws_iam_role_policy_attachment → an aws_iam_policy of any stack) or inline (aws_iam_role_policy). Cross-stack
 * references are followed to the producing stack's expression and logical-id hashes dropped, so the same grant
 * compares equal whether it is built in the data stack or where the role is used. Keyed by the role's address.
 */
export function rolePermissions(outdir: string, stackName: string): Record<string, RoleStatement[]> {
  const stacks = new Map<string, Record<string, any>>();
  const stackOf = (name: string) => {
    if (!stacks.has(name)) stacks.set(name, readStack(outdir, name));
    return stacks.get(name)!;
  };
  // `${…}` references: remote-state outputs become the producing stack's expression, hashes go.
  const expand = (s: string): string =>
    s
      .replace(/\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}/g, (_m, producer: string, output: string) =>
        expand(String(stackOf(producer).output[output].value)),
      )
      .replace(/_[0-9A-F]{8}\b/g, '');
  // A whole-string reference reads as its address (`aws_kms_key.x.arn`); references inside a string keep `${…}`.
  const resolve = (s: string): string => expand(s).replace(/^\$\{([^${}]+)\}$/, '$1');
  const documentOf = (ref: string, at: string): Record<string, any>[] => {
    const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(ref);
    if (!m) throw new Error(`${at}: expected a policy document reference, got ${ref}`);
    return stackOf(at).data.aws_iam_policy_document[m[1]].statement;
  };
  const statementsOf = (doc: Record<string, any>[]): RoleStatement[] =>
    doc.map((st) => ({
      effect: st.effect ?? 'Allow',
      actions: [...st.actions].sort(),
      resources: st.resources.map((r: string) => resolve(r)).sort(),
      conditions: (st.condition ?? []).map((c: Record<string, any>) => `${c.test} ${c.variable} ${c.values.map((v: string) => resolve(v)).join(' | ')}`).sort(),
    }));
  const json = stackOf(stackName);
  const out: Record<string, RoleStatement[]> = {};
  const add = (role: string, sts: RoleStatement[]) => (out[resolve(role)] ??= []).push(...sts);
  for (const a of Object.values<Record<string, any>>(json.resource?.aws_iam_role_policy_attachment ?? {})) {
    const policy = resolve(String(a.policy_arn)); // aws_iam_policy.<id>.arn in its own stack
    const m = /^aws_iam_policy\.([\w-]+)\.arn$/.exec(policy);
    if (!m) continue; // an AWS managed policy
    const producer = [stackName, ...stacks.keys()].find((n) => Object.keys(stackOf(n).resource?.aws_iam_policy ?? {}).some((k) => k.replace(/_[0-9A-F]{8}$/, '') === m[1]));
    if (!producer) throw new Error(`no stack holds aws_iam_policy ${m[1]}`);
    const [, p] = Object.entries<Record<string, any>>(stackOf(producer).resource.aws_iam_policy).find(([k]) => k.replace(/_[0-9A-F]{8}$/, '') === m[1])!;
    add(String(a.role), statementsOf(documentOf(String(p.policy), producer)));
  }
  for (const p of Object.values<Record<string, any>>(json.resource?.aws_iam_role_policy ?? {})) add(String(p.role), statementsOf(documentOf(String(p.policy), stackName)));
  const key = (s: RoleStatement) => JSON.stringify(s);
  for (const role of Object.keys(out)) out[role].sort((a, b) => key(a).localeCompare(key(b)));
  return out;
}
