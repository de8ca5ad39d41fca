import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, findEnvironmentsDir } from '@awp/config';
import { environmentJsonSchema, loadEnvironments } from './environment';
import { GuardrailError, formatFinding } from '@awp/guardrails';
import { PlanParseError, runPlanReport } from '@awp/delivery';
import { stackGraph, synthesize } from './synth';
import { mermaid, table } from './format';
import { describeDelivery, synthBootstrap } from './bootstrap';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The workspace root: the folder holding environments/. Commands run from anywhere inside the repo. */
function workspaceRoot(): string {
  return path.dirname(findEnvironmentsDir());
}

function schemaText(): string {
  return `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`;
}

export function buildProgram(out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Command {
  const program = new Command('platform')
    .description('Synthesize and inspect the AWS web platform (cdktf), one Terraform stack per layer per environment.')
    .showHelpAfterError()
    .configureOutput({ writeOut: out, writeErr: err });

  program
    .command('synth')
    .description('validate the environment files, build every stack, run the guardrails, write cdktf.out/stacks/<env>-<layer>/cdk.tf.json')
    .addOption(new Option('-e, --env <name>', 'environment to synthesize (repeatable; default: all)').argParser(collect))
    .addOption(new Option('-l, --layer <name>', 'layer to write (repeatable; default: all)').argParser(collect))
    .option('-o, --out <dir>', 'output folder', 'cdktf.out')
    .action((opts: { env?: string[]; layer?: string[]; out: string }) => {
      const root = workspaceRoot();
      out(`synthesizing ${opts.env?.join(', ') ?? 'all environments'}${opts.layer ? ` (layers: ${opts.layer.join(', ')})` : ''}…\n`);
      const result = synthesize({ envs: opts.env, layers: opts.layer, outdir: path.resolve(root, opts.out), relativeTo: root });
      out(`${table(['stack', 'resources', 'dependencies'], result.stacks.map((s) => [s.name, s.resources, s.dependencies.join(', ') || '-']))}\n`);
      const suppressed = result.findings.filter((f) => f.suppressedBecause);
      const warnings = result.findings.filter((f) => !f.suppressedBecause && f.severity === 'warning');
      for (const f of warnings) out(`WARNING ${formatFinding(f)}\n`);
      if (suppressed.length) out(`guardrails: ${suppressed.length} suppressed finding(s):\n${suppressed.map((f) => `  ${formatFinding(f)}`).join('\n')}\n`);
      out(`${result.stacks.length} stacks, ${result.stacks.reduce((n, s) => n + s.resources, 0)} resources written to ${path.relative(process.cwd(), result.outdir) || '.'} in ${result.seconds.toFixed(2)} s; guardrails: 0 errors, ${warnings.length} warnings, ${suppressed.length} suppressed\n`);
    });

  program
    .command('stacks')
    .description('list the stacks and their dependencies')
    .addOption(new Option('-e, --env <name>', 'environment (repeatable; default: all)').argParser(collect))
    .option('--json', 'print JSON')
    .action((opts: { env?: string[]; json?: boolean }) => {
      const root = workspaceRoot();
      const stacks = stackGraph(loadEnvironments(opts.env, { relativeTo: root }));
      if (opts.json) out(`${JSON.stringify(stacks, null, 2)}\n`);
      else out(`${table(['stack', 'env', 'layer', 'dependencies'], stacks.map((s) => [s.name, s.env, s.layer, s.dependencies.join(', ') || '-']))}\n`);
    });

  program
    .command('graph')
    .description('print the stack dependency graph as a Mermaid diagram')
    .addOption(new Option('-e, --env <name>', 'environment (repeatable; default: all)').argParser(collect))
    .action((opts: { env?: string[] }) => {
      const root = workspaceRoot();
      out(`${mermaid(stackGraph(loadEnvironments(opts.env, { relativeTo: root })))}\n`);
    });

  program
    .command('validate')
    .description('validate environment files only (all problems at once)')
    .addOption(new Option('-e, --env <name>', 'environment (repeatable; default: all)').argParser(collect))
    .action((opts: { env?: string[] }) => {
      const root = workspaceRoot();
      const envs = loadEnvironments(opts.env, { relativeTo: root });
      out(`valid: ${envs.map((e) => `environments/${e.name}.json`).join(', ')}\n`);
    });

  program
    .command('schema')
    .description('write environments/environment.schema.json from the zod schema (--check: fail if it is stale)')
    .option('--check', 'do not write; exit 1 when the file differs')
    .action((opts: { check?: boolean }) => {
      const file = path.join(findEnvironmentsDir(), 'environment.schema.json');
      const text = schemaText();
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        /* missing: stale */
      }
      if (opts.check) {
        if (current !== text) throw new ConfigError([{ file: path.relative(process.cwd(), file), path: '', message: 'is stale; run `npm run platform -- schema`' }]);
        out('environment.schema.json is up to date\n');
      } else {
        writeFileSync(file, text);
        out(`wrote ${path.relative(process.cwd(), file)}\n`);
      }
    });

  program
    .command('bootstrap')
    .description('synthesize the per-account bootstrap stack (state bucket, GitHub OIDC provider, plan and apply roles) to cdktf.out/bootstrap/<env>/cdk.tf.json; apply it once by hand (docs/delivery.md)')
    .addOption(new Option('-e, --env <name>', 'environment to bootstrap (repeatable; default: all)').argParser(collect))
    .addOption(new Option('--backend <kind>', 'where the bootstrap state lives: local for the first apply, s3 to migrate it into the bucket').choices(['local', 's3']).default('local'))
    .option('--existing-oidc-provider', 'the account already has the GitHub OIDC provider: look it up instead of creating it')
    .option('--describe', 'write nothing; print JSON per environment: account, region, state bucket, plan, pull-request plan and apply role ARNs, layers pull requests do not plan, domain, runner labels (the workflows read it)')
    .option('-o, --out <dir>', 'output folder', 'cdktf.out')
    .action((opts: { env?: string[]; backend: 'local' | 's3'; existingOidcProvider?: boolean; describe?: boolean; out: string }) => {
      const root = workspaceRoot();
      if (opts.describe) {
        out(`${JSON.stringify(describeDelivery(opts.env, { relativeTo: root }), null, 2)}\n`);
        return;
      }
      const envs = opts.env ?? loadEnvironments(undefined, { relativeTo: root }).map((e) => e.name);
      const result = synthBootstrap({ envs, backend: opts.backend, existingOidcProvider: opts.existingOidcProvider, outdir: path.resolve(root, opts.out), relativeTo: root });
      out(`${table(['environment', 'resources', 'file'], result.files.map((f) => [f.env, String(f.resources), path.relative(process.cwd(), f.path)]))}\n`);
      out(`guardrails: 0 errors, ${result.findings.filter((f) => !f.suppressedBecause).length} warnings; next: cd into the folder, terraform init && terraform apply (docs/delivery.md)\n`);
    });

  program
    .command('plan-report')
    .description('summarize `terraform show -json` plans (Terraform or OpenTofu): counts, destructive changes of stateful resources, markdown or JSON')
    .argument('<plan.json...>', 'plan files (or folders of *.json plans)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['markdown', 'json']).default('markdown'))
    .addOption(new Option('--stack-name <name>', 'stack name for the file at the same position (repeatable; default: file name without .json/.plan)').argParser(collect))
    .option('--max-chars <n>', 'markdown size budget (GitHub rejects comments over 65,536 characters)', (v) => Number.parseInt(v, 10))
    .option('--allow-errored', 'report plans Terraform marked errored as incomplete instead of failing (default: fail, naming the file)')
    .addHelpText(
      'after',
      '\nAccepts `terraform show -json` / `tofu show -json` output of every format version (0.1 to 1.x), in UTF-8 (with or without BOM) or UTF-16 LE/BE with BOM, LF or CRLF, of any size (large files are streamed).\nA wrong input (a binary planfile, `terraform plan -json` logs, a state file, `terraform validate -json`, an empty file) fails with a message naming the file and what to run instead; nothing is printed to stdout.',
    )
    .action((files: string[], opts: { format: 'markdown' | 'json'; stackName?: string[]; maxChars?: number; allowErrored?: boolean }) => {
      // Everything is read and rendered before the first byte is printed: a bad file means no partial output.
      const report = runPlanReport(files, { format: opts.format, stackNames: opts.stackName, maxChars: opts.maxChars, errored: opts.allowErrored ? 'accept' : 'reject' });
      out(`${report.replace(/\n$/, '')}\n`);
    });

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function run(argv: string[], out?: (s: string) => void, err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const program = buildProgram(out, err).exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof GuardrailError || e instanceof PlanParseError) {
      err(`error: ${e.message}\n`);
      return 1;
    }
    const code = (e as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : ((e as { exitCode?: number }).exitCode ?? 1);
    }
    err(`error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
