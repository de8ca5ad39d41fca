import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { deliveryRoleArns, type LoadOptions } from '@awp/config';
import { loadEnvironments, planRunners } from '../environment';
import { ALL_RULES, GuardrailError, Guardrails, type Finding, type GuardrailRule } from '@awp/guardrails';
import { PULL_REQUEST_PLAN_SKIPS } from './plan-reads';
import { APPLY_MAX_SESSION_SECONDS, BootstrapStack, type BootstrapStackProps } from './stack';

export * from './stack';
export * from './policies';
export * from './plan-reads';
export * from './policy-eval';
export * from './apply-time';

export interface BootstrapSynthOptions extends LoadOptions, Omit<BootstrapStackProps, 'env'> {
  /** Environments to bootstrap (one AWS account each). */
  readonly envs: readonly string[];
  /** Output root; files go to `<outdir>/bootstrap/<env>/cdk.tf.json`. @default 'cdktf.out' */
  readonly outdir?: string;
  /** Guardrail rules to enforce. @default ALL_RULES */
  readonly rules?: readonly GuardrailRule[];
}

export interface BootstrapSynthResult {
  readonly files: { env: string; path: string; resources: number }[];
  readonly findings: Finding[];
}

/**
 * Synthesizes the bootstrap stack of each environment, with every guardrail applied; nothing is written
 * when an environment file is invalid or a guardrail fails.
 */
export function synthBootstrap(options: BootstrapSynthOptions): BootstrapSynthResult {
  const envs = loadEnvironments(options.envs, options);
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'awp-bootstrap-'));
  try {
    const app = new App({ outdir: scratch, stackTraces: false });
    const stacks = envs.map((env) => new BootstrapStack(app, { ...options, env }));
    // Aspects run per stack (one added to the App is never visited): apply after the stacks exist.
    const guardrails = new Guardrails(options.rules ?? ALL_RULES).applyTo(app);
    app.synth();
    if (guardrails.errors.length > 0) throw new GuardrailError(guardrails.findings);
    const files = stacks.map((stack) => {
      const target = path.join(outdir, 'bootstrap', stack.env.name);
      mkdirSync(target, { recursive: true });
      const file = path.join(target, 'cdk.tf.json');
      copyFileSync(path.join(scratch, 'stacks', stack.node.id, 'cdk.tf.json'), file);
      const json = JSON.parse(readFileSync(file, 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
      const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
      return { env: stack.env.name, path: file, resources };
    });
    return { files, findings: guardrails.findings };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What the delivery workflows need to know about an environment (`platform bootstrap --describe`). */
export interface DeliveryTarget {
  readonly env: string;
  readonly account: string;
  readonly region: string;
  readonly stateBucket: string;
  /** Plans of reviewed code: the merge queue (merge_group) and the default branch (drift). */
  readonly planRoleArn: string;
  /** Plans on `pull_request` events: reads no secret (the only role the `pull_request` subject may assume). */
  readonly planPullRequestRoleArn: string;
  /** Layers not planned on `pull_request` events (their refresh reads a secret): planned in the merge queue. */
  readonly pullRequestPlanSkips: readonly string[];
  readonly applyRoleArn: string;
  /** The site's domain (CloudFront): the smoke test calls https://<domain>/healthz and /readyz. */
  readonly domain: string;
  readonly promotesFrom: string | null;
  /** `runs-on` labels of this environment's apply jobs (deploy-env.yml; environment field delivery.runsOn). */
  readonly runsOn: readonly string[];
  /** `runs-on` labels of its plan and drift jobs (delivery.planRunsOn; default runsOn, never the apply runners in prod). */
  readonly planRunsOn: readonly string[];
  /** The apply role's longest session: request it per stack (configure-aws-credentials role-duration-seconds). */
  readonly applySessionSeconds: number;
}

/** One entry per environment, from the environment files (the single source of account, region and role names). */
export function describeDelivery(envs: readonly string[] | undefined, options: LoadOptions = {}): DeliveryTarget[] {
  return loadEnvironments(envs, options).map((env) => {
    const roles = deliveryRoleArns(env);
    return {
      env: env.name,
      account: env.account.id,
      region: env.region,
      stateBucket: env.state.bucket,
      planRoleArn: roles.plan,
      planPullRequestRoleArn: roles.planPullRequest,
      pullRequestPlanSkips: PULL_REQUEST_PLAN_SKIPS,
      applyRoleArn: roles.apply,
      domain: env.domain.name,
      promotesFrom: env.promotesFrom ?? null,
      runsOn: env.delivery.runsOn,
      planRunsOn: planRunners(env),
      applySessionSeconds: APPLY_MAX_SESSION_SECONDS,
    };
  });
}
