/**
 * The delivery roles, proved on the synthesized JSON of every stack of every environment with an IAM evaluator
 * (src/bootstrap/policy-eval.ts): the plan role can plan every stack and reads no content outside its grants; the
 * apply role's boundary holds; every role the platform creates is bounded and still does its job; an apply fits in
 * the apply role's session.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { platformIam, type Layer } from '@awp/config';
import { PLAN_READER_GROUP } from '@awp/compute';
import { loadEnvironments, type EnvironmentConfig } from '../src/environment';
import {
  ACCEPTED_PLAN_EXPOSURES,
  APPLY_MAX_SESSION_SECONDS,
  APPLY_OVERHEAD_MINUTES,
  DATA_SOURCE_READS,
  EPHEMERAL_READS,
  evaluate,
  KUBERNETES_READS,
  KUBERNETES_TYPES,
  planReadServices,
  PULL_REQUEST_PLAN_SKIPS,
  RESOURCE_CONTENT_READS,
  RESOURCE_READ_SERVICES,
  worstCaseApply,
  type PlanRead,
  type Request,
  type Statement,
} from '../src/bootstrap';
import { synthesize } from '../src/synth';
import { bootstrap } from './iam-fixtures';
import { REPO } from './helpers';

type Json = Record<string, any>;
const ENV_DIR = path.join(REPO, 'environments');
const envs = loadEnvironments(undefined, { dir: ENV_DIR, relativeTo: REPO });
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-roles-')), 'cdktf.out');
const synthesized = synthesize({ dir: ENV_DIR, outdir });
const stacksOf = (env: EnvironmentConfig) =>
  synthesized.stacks.filter((s) => s.env === env.name).map((s) => ({ name: s.name, json: JSON.parse(readFileSync(s.path, 'utf8')) as Json }));

const RESOURCE_SERVICE = new Map(Object.entries(RESOURCE_READ_SERVICES).flatMap(([svc, types]) => types.map((t) => [t, svc] as const)));

/**
 * A plan role as the evaluator sees it: its attached policy, bounded by the same policy. `plan` (merge queue,
 * default branch, drift) or `pullRequest` (pull requests only).
 */
function planRole(env: EnvironmentConfig, which: 'plan' | 'pullRequest' = 'plan') {
  const b = bootstrap(env);
  const policy = b.statements(which === 'plan' ? 'plan-read-policy' : 'plan-pr-read-policy');
  return { ...b, accepted: ACCEPTED_PLAN_EXPOSURES[which], can: (req: Request) => evaluate(policy, req, policy) };
}
type PlanRole = Pick<ReturnType<typeof planRole>, 'can' | 'accepted'>;

/** The requests a plan makes for one element of a stack, or a problem when the table does not know it. */
function planRequests(env: EnvironmentConfig, kind: 'data' | 'ephemeral' | 'resource', type: string, config: Json, stackJson: Json, acceptedExposures: Readonly<Record<string, string>>): { requests: Request[]; problem?: string } {
  const region = env.region;
  const acct = env.account.id;
  const table: Readonly<Record<string, PlanRead>> = kind === 'data' ? DATA_SOURCE_READS : kind === 'ephemeral' ? EPHEMERAL_READS : RESOURCE_CONTENT_READS;
  const read = table[type];
  if (!read) {
    if (kind === 'resource' && (RESOURCE_SERVICE.has(type) || KUBERNETES_TYPES.includes(type))) {
      const svc = RESOURCE_SERVICE.get(type);
      // A representative metadata read of each verb the provider's refresh uses.
      return { requests: svc ? ['Describe', 'Get', 'List'].map((v) => ({ action: `${svc}:${v}Example`, resource: `arn:aws:${svc}:${region}:${acct}:example/x` })) : [] };
    }
    const table = kind === 'data' ? 'DATA_SOURCE_READS' : kind === 'ephemeral' ? 'EPHEMERAL_READS' : 'RESOURCE_READ_SERVICES (or RESOURCE_CONTENT_READS)';
    return { requests: [], problem: `${kind} type ${type} is not in ${table} (apps/infra/src/bootstrap/plan-reads.ts): add the IAM actions terraform plan calls for it` };
  }
  if (read.content === 'secret-in-metadata') {
    const accepted = kind === 'resource' ? acceptedExposures[type] : undefined;
    if (!accepted) return { requests: [], problem: `${type} returns a secret with its metadata (${read.note ?? ''}); plans must not read it` };
    return { requests: read.actions.map((action) => ({ action, resource: `arn:aws:${action.split(':')[0]}:${region}:${acct}:userpool/eu-west-1_Example` })) };
  }
  if (read.content === 'state') {
    const cfg = config.config as Json;
    return { requests: [{ action: 's3:GetObject', resource: `arn:aws:s3:::${cfg.bucket}/${cfg.key}` }, { action: 'kms:Decrypt', resource: `arn:aws:kms:${region}:${acct}:key/0000-state-key`, context: { 'kms:ViaService': `s3.${region}.amazonaws.com` } }] };
  }
  if (read.content === 'secret-value') {
    // The secret's name: a reference to a secret of this stack, or a literal name/ARN.
    const id = String(config.secret_id ?? config.name ?? '');
    const ref = /^\$\{aws_secretsmanager_secret\.([^.]+)\.(?:id|arn)\}$/.exec(id);
    const name = ref ? String(stackJson.resource?.aws_secretsmanager_secret?.[ref[1]]?.name) : id.replace(/^arn:aws:secretsmanager:[^:]+:\d+:secret:/, '');
    const arn = `arn:aws:secretsmanager:${region}:${acct}:secret:${name}-AbCdEf`;
    const actions = read.actions.filter((a) => !a.startsWith('kms:')).map((action) => ({ action, resource: arn }));
    return { requests: [...actions, { action: 'kms:Decrypt', resource: `arn:aws:kms:${region}:${acct}:key/1111-secrets-key`, context: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': arn } }] };
  }
  return { requests: read.actions.map((action) => ({ action, resource: `arn:aws:${action.split(':')[0]}:${region}:${acct}:example/x` })) };
}

/** Every problem a plan of this stack would hit with the plan role. */
function planProblems(env: EnvironmentConfig, stack: { name: string; json: Json }, { can, accepted }: PlanRole): string[] {
  const out: string[] = [];
  const elements: [kind: 'data' | 'ephemeral' | 'resource', type: string, name: string, config: Json][] = [];
  for (const [section, kind] of [['data', 'data'], ['ephemeral', 'ephemeral'], ['resource', 'resource']] as const) {
    for (const [type, byName] of Object.entries<Record<string, Json>>(stack.json[section] ?? {})) {
      for (const [name, config] of Object.entries(byName)) elements.push([kind, type, name, config]);
    }
  }
  // The backend: read the state (plans run with -lock=false: no lock file is written).
  const backend = stack.json.terraform.backend.s3 as Json;
  const backendRequests: Request[] = [
    { action: 's3:ListBucket', resource: `arn:aws:s3:::${backend.bucket}` },
    { action: 's3:GetObject', resource: `arn:aws:s3:::${backend.bucket}/${backend.key}` },
    { action: 'kms:Decrypt', resource: `arn:aws:kms:${env.region}:${env.account.id}:key/0000-state-key`, context: { 'kms:ViaService': `s3.${env.region}.amazonaws.com` } },
  ];
  const refused = (req: Request): string | undefined => {
    const { decision, by } = can(req);
    return decision === 'allow' ? undefined : `${req.action} on ${req.resource} is ${decision}${by.length ? ` by ${[...new Set(by.map((s) => s.Sid))].join(', ')}` : ''}`;
  };
  for (const req of backendRequests) {
    const why = refused(req);
    if (why) out.push(`${stack.name} backend: ${why}`);
  }
  for (const [kind, type, name, config] of elements) {
    const { requests, problem } = planRequests(env, kind, type, config, stack.json, accepted);
    if (problem) out.push(`${stack.name} ${kind === 'resource' ? '' : `${kind}.`}${type}.${name}: ${problem}`);
    for (const req of requests) {
      const why = refused(req);
      if (why) out.push(`${stack.name} ${kind === 'resource' ? '' : `${kind}.`}${type}.${name}: ${why}`);
    }
  }
  return out;
}

describe('the plan role can plan every stack of every environment', () => {
  for (const env of envs) {
    it(`${env.name}: every data source, ephemeral resource, refreshed resource and the backend is covered by the plan role`, () => {
      const problems = stacksOf(env).flatMap((s) => planProblems(env, s, planRole(env)));
      expect(problems).toEqual([]);
    });
  }

  it('every accepted secret exposure is one the stacks really have, and only resources whose refresh returns a secret are accepted', () => {
    const types = new Set(envs.flatMap((env) => stacksOf(env).flatMap((s) => Object.keys(s.json.resource ?? {}))));
    const accepted = Object.values(ACCEPTED_PLAN_EXPOSURES).flatMap((byType) => Object.keys(byType));
    expect(accepted.filter((t) => !types.has(t))).toEqual([]);
    expect(accepted.filter((t) => RESOURCE_CONTENT_READS[t]?.content !== 'secret-in-metadata')).toEqual([]);
  });

  it('a data source type missing from the table fails with a message asking to add it (negative)', () => {
    const env = envs[0];
    const role = planRole(env);
    const stack = stacksOf(env)[0];
    const json = { ...stack.json, data: { ...stack.json.data, aws_imaginary_thing: { x: { name: 'y' } } } };
    expect(planProblems(env, { name: stack.name, json }, role)).toEqual([
      `${stack.name} data.aws_imaginary_thing.x: data type aws_imaginary_thing is not in DATA_SOURCE_READS (apps/infra/src/bootstrap/plan-reads.ts): add the IAM actions terraform plan calls for it`,
    ]);
  });

  it('a data source reading a secret the plan role was not granted fails, naming the deny (negative)', () => {
    const env = envs[0];
    const role = planRole(env);
    const stack = stacksOf(env)[0];
    const json = { ...stack.json, data: { ...stack.json.data, aws_secretsmanager_secret_version: { db: { secret_id: `${env.name}/api/db-password` } } } };
    expect(planProblems(env, { name: stack.name, json }, role)).toEqual([
      `${stack.name} data.aws_secretsmanager_secret_version.db: secretsmanager:GetSecretValue on arn:aws:secretsmanager:${env.region}:${env.account.id}:secret:${env.name}/api/db-password-AbCdEf is explicit-deny by DenySecretValues`,
      `${stack.name} data.aws_secretsmanager_secret_version.db: kms:Decrypt on arn:aws:kms:${env.region}:${env.account.id}:key/1111-secrets-key is explicit-deny by DenyDecryptOutsideStateKey`,
    ]);
  });

  it('the Cognito app client (its secret) and an EKS token are refused even though they are in the table (negative)', () => {
    const env = envs[0];
    const role = planRole(env);
    const stack = stacksOf(env)[0];
    const json = { ...stack.json, data: { aws_cognito_user_pool_client: { c: {} }, aws_eks_cluster_auth: { t: {} } } };
    expect(planProblems(env, { name: stack.name, json }, role)).toEqual([
      expect.stringMatching(/data\.aws_cognito_user_pool_client\.c: aws_cognito_user_pool_client returns a secret/),
      expect.stringMatching(/data\.aws_eks_cluster_auth\.t: aws_eks_cluster_auth returns a secret/),
    ]);
  });
});

describe('the pull-request plan role reads no secret: it plans every stack but the identity stack', () => {
  it('accepts no secret exposure at all (a pull request\'s code runs with it, before review)', () => {
    expect(ACCEPTED_PLAN_EXPOSURES.pullRequest).toEqual({});
  });

  for (const env of envs) {
    it(`${env.name}: what it cannot plan is exactly the skipped layers (a secret in their refresh and state); the workloads stack reads the issuer by metadata, not from identity's state`, () => {
      const role = planRole(env, 'pullRequest');
      const problems = new Map(stacksOf(env).map((s) => [s.name.slice(env.name.length + 1) as Layer, planProblems(env, s, role)] as const).filter(([, p]) => p.length > 0));
      // plan-stacks.sh does not plan a skipped layer on pull requests; every other stack (workloads included) plans.
      expect([...problems.keys()].filter((l) => !PULL_REQUEST_PLAN_SKIPS.includes(l))).toEqual([]);
      // …and only for the secret: nothing else stops these plans.
      const reasons = [...problems.values()].flat();
      expect(reasons.filter((p) => !/aws_cognito_user_pool_client returns a secret|s3:GetObject on \S+\/identity\.tfstate is explicit-deny by DenySecretStateToPullRequests/.test(p))).toEqual([]);
      if (env.identity.mode !== 'external') expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^\S+-identity aws_cognito_user_pool_client\./)]));
      // the lookups that replaced the remote state are allowed (plan-reads.ts: ListUserPools, ListUserPoolClients)
      const workloads = stacksOf(env).find((s) => s.name === `${env.name}-workloads`);
      if (env.identity.mode !== 'external') expect(Object.keys(workloads?.json.data ?? {})).toEqual(expect.arrayContaining(['aws_cognito_user_pools', 'aws_cognito_user_pool_clients']));
    });
  }

  it('is refused the app clients\' secrets and the identity state the other plan role reads (negative)', () => {
    const env = envs.find((e) => e.name === 'prod')!;
    const pr = planRole(env, 'pullRequest');
    const reviewed = planRole(env, 'plan');
    const client = { action: 'cognito-idp:DescribeUserPoolClient', resource: `arn:aws:cognito-idp:${env.region}:${env.account.id}:userpool/eu-west-1_Example` };
    const identityState = (action: string) => ({ action, resource: `${pr.state.bucket}/platform/prod/identity.tfstate` });
    expect(pr.can(client).decision).toBe('explicit-deny');
    expect(pr.can(identityState('s3:GetObject')).decision).toBe('explicit-deny');
    expect(pr.can(identityState('s3:GetObjectVersion')).decision).toBe('explicit-deny');
    // The plan role of reviewed code (merge queue, drift) still plans the identity stack.
    expect(reviewed.can(client).decision).toBe('allow');
    expect(reviewed.can(identityState('s3:GetObject')).decision).toBe('allow');
    // Every other state object of the environment stays readable to pull requests.
    expect(pr.can({ action: 's3:GetObject', resource: `${pr.state.bucket}/platform/prod/data.tfstate` }).decision).toBe('allow');
    expect(pr.can({ action: 'cognito-idp:DescribeUserPool', resource: client.resource }).decision).toBe('allow');
  });

  it('is refused a federated identity provider\'s details (an OIDC or social provider\'s client_secret), and neither plan role gets an upload URL for user imports (negative)', () => {
    const env = envs.find((e) => e.name === 'prod')!;
    const pr = planRole(env, 'pullRequest');
    const reviewed = planRole(env, 'plan');
    const pool = `arn:aws:cognito-idp:${env.region}:${env.account.id}:userpool/eu-west-1_Example`;
    for (const action of ['cognito-idp:DescribeIdentityProvider', 'cognito-idp:GetIdentityProviderByIdentifier']) {
      expect([action, pr.can({ action, resource: pool }).decision]).toEqual([action, 'explicit-deny']);
      expect([action, reviewed.can({ action, resource: pool }).decision]).toEqual([action, 'allow']); // its Describe*/Get*
    }
    for (const action of ['cognito-idp:DescribeUserImportJob', 'cognito-idp:ListUserImportJobs']) {
      for (const role of [pr, reviewed]) expect([action, role.can({ action, resource: pool }).decision]).toEqual([action, 'explicit-deny']);
    }
    // the pool's own metadata stays readable to pull requests
    expect(pr.can({ action: 'cognito-idp:GetUserPoolMfaConfig', resource: pool }).decision).toBe('allow');
  });
});

describe('the plan roles\' Kubernetes access: a group, and Roles reading exactly what the workloads stack manages', () => {
  const FORBIDDEN = ['secrets', 'pods/log', 'pods/exec', 'pods/attach', 'pods/portforward', 'pods/proxy', 'services/proxy', 'nodes/proxy', '*'];
  for (const env of envs) {
    it(`${env.name}: both plan roles map to the group with no access policy; each managed namespace has a Role bound to it, covering every kind there, and no Secret, pods/log or pods/exec`, () => {
      const stacks = stacksOf(env);
      const cluster = stacks.find((s) => s.name === `${env.name}-cluster`)!.json;
      const workloads = stacks.find((s) => s.name === `${env.name}-workloads`)!.json;
      const planArns = [`arn:aws:iam::${env.account.id}:role/delivery/aws-web-platform-${env.name}-plan`, `arn:aws:iam::${env.account.id}:role/delivery/aws-web-platform-${env.name}-plan-pr`];
      const planEntries = Object.entries<Json>(cluster.resource.aws_eks_access_entry).filter(([, e]) => planArns.includes(e.principal_arn));
      expect(planEntries.map(([, e]) => [e.principal_arn, e.kubernetes_groups])).toEqual(planArns.map((a) => [a, [PLAN_READER_GROUP]]));
      // No access policy for them (AmazonEKSViewPolicy reads pods/log; AmazonEKSAdminViewPolicy every Secret).
      const assoc = Object.values<Json>(cluster.resource.aws_eks_access_policy_association).filter((a) => planEntries.some(([n]) => String(a.principal_arn).includes(`aws_eks_access_entry.${n}.`)));
      expect(assoc).toEqual([]);

      const namespaceNames = new Map(Object.entries<Json>(workloads.resource.kubernetes_namespace_v1 ?? {}).map(([n, ns]) => [n, [ns.metadata].flat()[0].name as string]));
      const resolveNs = (v: unknown) => {
        const ref = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(String(v));
        return ref ? namespaceNames.get(ref[1]) : (v as string | undefined);
      };
      // What each namespace's Role grants, as "group/resource verb" (only Roles bound to the group count).
      const roles = Object.entries<Json>(workloads.resource.kubernetes_role_v1 ?? {}).map(([n, r]) => ({ n, ns: resolveNs([r.metadata].flat()[0].namespace), name: [r.metadata].flat()[0].name as string, rules: r.rule as Json[] }));
      const bound = Object.values<Json>(workloads.resource.kubernetes_role_binding_v1 ?? {}).filter((b) => [b.subject].flat().some((x: Json) => x.kind === 'Group' && x.name === PLAN_READER_GROUP));
      const grants = new Map<string, Set<string>>();
      for (const b of bound) {
        const ns = resolveNs([b.metadata].flat()[0].namespace)!;
        const ref = [b.role_ref].flat()[0] as Json;
        expect(ref.kind).toBe('Role');
        const role = roles.find((r) => r.ns === ns && (ref.name === r.name || String(ref.name).includes(`kubernetes_role_v1.${r.n}.`)));
        expect([ns, role && 'bound']).toEqual([ns, 'bound']);
        for (const rule of role!.rules) {
          for (const g of rule.api_groups) for (const res of rule.resources) for (const v of rule.verbs) (grants.get(ns) ?? grants.set(ns, new Set()).get(ns)!).add(`${g}/${res} ${v}`);
        }
      }
      // Never content: no Secret, no pod logs, no exec, no wildcard; read verbs only.
      const all = roles.flatMap((r) => r.rules);
      expect(all.flatMap((r) => r.resources as string[]).filter((res) => FORBIDDEN.includes(res))).toEqual([]);
      expect(all.flatMap((r) => r.api_groups as string[]).filter((g) => g === '*')).toEqual([]);
      expect([...new Set(all.flatMap((r) => r.verbs as string[]))].sort()).toEqual(['get', 'list', 'watch']);
      // Every object the stack manages is refreshable: get (and list, for Helm's release lookup by label) in its namespace.
      const missing: string[] = [];
      for (const [type, byName] of Object.entries<Record<string, Json>>(workloads.resource)) {
        if (type !== 'helm_release' && !type.startsWith('kubernetes_')) continue;
        const read = KUBERNETES_READS[type];
        if (!read) {
          missing.push(`${type}: not in KUBERNETES_READS (apps/infra/src/bootstrap/plan-reads.ts)`);
          continue;
        }
        for (const [name, r] of Object.entries(byName)) {
          const meta = [r.metadata].flat()[0] as Json | undefined;
          const ns = type === 'helm_release' ? (resolveNs(r.namespace) ?? 'default') : type === 'kubernetes_namespace_v1' ? meta?.name : (resolveNs(meta?.namespace) ?? 'default');
          for (const verb of type === 'helm_release' ? ['get', 'list'] : ['get']) {
            if (!grants.get(ns)?.has(`${read.apiGroup}/${read.resource} ${verb}`)) missing.push(`${type}.${name} in ${ns}: ${verb} ${read.apiGroup || 'core'}/${read.resource}`);
          }
        }
      }
      expect(missing).toEqual([]);
      // Helm's secret driver would need `list secrets` in kube-system (every Secret there); ConfigMaps are granted.
      expect([workloads.provider.helm].flat().map((p: Json) => p.helm_driver)).toEqual(['configmap']);
      // …which is only safe while no release passes a secret in its values.
      expect(Object.values<Json>(workloads.resource.helm_release).filter((r) => r.set_sensitive !== undefined)).toEqual([]);
    });
  }
});

describe('the plan role reads metadata, not content', () => {
  const env = envs.find((e) => e.name === 'prod')!;
  const { can, state } = planRole(env);
  const acct = env.account.id;
  const r = env.region;
  const denied = (req: Request) => expect([req.action, can(req).decision]).toEqual([req.action, 'explicit-deny']);

  it('reads no object outside this environment\'s state, no log event, parameter, image layer or secret value', () => {
    denied({ action: 's3:GetObject', resource: `arn:aws:s3:::prod-uploads-${acct}/user/photo.jpg` });
    denied({ action: 's3:GetObjectVersion', resource: `arn:aws:s3:::prod-logs-${acct}/alb/log.gz` });
    denied({ action: 's3:GetObject', resource: `${state.bucket}/platform/staging/data.tfstate` });
    denied({ action: 'logs:GetLogEvents', resource: `arn:aws:logs:${r}:${acct}:log-group:/aws/eks/prod-eks/cluster:*` });
    denied({ action: 'logs:StartQuery', resource: '*' });
    denied({ action: 'logs:FilterLogEvents', resource: '*' });
    denied({ action: 'ssm:GetParameter', resource: `arn:aws:ssm:${r}:${acct}:parameter/anything` });
    denied({ action: 'ecr:GetDownloadUrlForLayer', resource: `arn:aws:ecr:${r}:${acct}:repository/prod-api` });
    denied({ action: 'ecr:GetAuthorizationToken', resource: '*' });
    denied({ action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${r}:${acct}:secret:rds!db-1234-AbCdEf` });
    denied({ action: 'wafv2:GetSampledRequests', resource: '*' });
    denied({ action: 'ec2:GetPasswordData', resource: '*' });
  });

  it('decrypts only with the state key, or through Secrets Manager for exactly its granted secrets', () => {
    const other = `arn:aws:kms:${r}:${acct}:key/2222-data-key`;
    denied({ action: 'kms:Decrypt', resource: other });
    denied({ action: 'kms:Decrypt', resource: other, context: { 'kms:ViaService': `s3.${r}.amazonaws.com` } });
    denied({ action: 'kms:Decrypt', resource: other, context: { 'kms:ViaService': `secretsmanager.${r}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': `arn:aws:secretsmanager:${r}:${acct}:secret:rds!db-1234-AbCdEf` } });
    const cacheAuth = `arn:aws:secretsmanager:${r}:${acct}:secret:prod/api/cache-auth-AbCdEf`;
    expect(can({ action: 'kms:Decrypt', resource: other, context: { 'kms:ViaService': `secretsmanager.${r}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': cacheAuth } }).decision).toBe('allow');
    // The same ciphertext context, decrypted directly rather than through Secrets Manager: not allowed.
    expect(can({ action: 'kms:Decrypt', resource: other, context: { 'kms:EncryptionContext:SecretARN': cacheAuth } }).decision).not.toBe('allow');
    expect(can({ action: 'secretsmanager:GetSecretValue', resource: cacheAuth }).decision).toBe('allow');
    // `-??????`: a longer name with the granted one as prefix is not the granted secret.
    denied({ action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${r}:${acct}:secret:prod/api/cache-auth-admin-AbCdEf` });
    expect(can({ action: 'kms:Decrypt', resource: state.key }).decision).toBe('allow');
  });

  it('writes nothing: no state, no lock file (it cannot delete the lock an apply holds), nothing at all in IAM', () => {
    denied({ action: 's3:PutObject', resource: `${state.bucket}/platform/prod/data.tfstate` });
    // Plans run with -lock=false: a plan role able to write or delete `<key>.tflock` could break an apply's lock.
    for (const role of ['plan', 'pullRequest'] as const) {
      const r = planRole(env, role);
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
        for (const key of ['platform/prod/data.tfstate.tflock', 'platform/prod/workloads.tfstate.tflock', 'platform/staging/data.tfstate.tflock']) {
          expect([role, action, key, r.can({ action, resource: `${state.bucket}/${key}` }).decision]).toEqual([role, action, key, 'explicit-deny']);
        }
      }
      // The lock file is encrypted with a data key of the state key: no data key for a plan role either.
      expect([role, r.can({ action: 'kms:GenerateDataKey', resource: state.key }).decision]).toEqual([role, 'implicit-deny']);
    }
    for (const action of ['iam:CreateRole', 'iam:PassRole', 'ec2:RunInstances', 'eks:UpdateClusterConfig', 'sts:AssumeRole', 'lambda:InvokeFunction', 's3:PutBucketPolicy']) {
      expect([action, can({ action, resource: '*' }).decision]).toEqual([action, 'implicit-deny']);
    }
  });

  it('grants Describe/Get/List only, in the services the stacks use (no ReadOnlyAccess: it reads every object, log and table)', () => {
    const { json, statements } = bootstrap(env);
    const attached = Object.values(json.resource.aws_iam_role_policy_attachment as Record<string, Json>).filter((a) => a.role === '${aws_iam_role.plan-role.name}');
    expect(attached.map((a) => a.policy_arn)).toEqual(['${aws_iam_policy.plan-read.arn}']);
    expect(json.resource.aws_iam_role['plan-role'].permissions_boundary).toBe('${aws_iam_policy.plan-read.arn}');
    const allowed = statements('plan-read-policy').filter((s: Statement) => s.Effect === 'Allow').flatMap((s) => [s.Action ?? []].flat());
    const verbs = allowed.filter((a) => !/^[a-z0-9-]+:(Describe|Get|List)(\*|[A-Z]\w*)$/.test(a));
    expect(verbs.sort()).toEqual(['kms:Decrypt', 'kms:Decrypt']);
    expect(planReadServices()).toEqual(expect.arrayContaining(['ec2', 'eks', 'rds', 'elasticache', 's3', 'cloudfront', 'wafv2', 'route53']));
    // AWS caps a managed policy at 6,144 characters without whitespace (IAM quotas).
    for (const name of ['plan-read-policy', 'plan-pr-read-policy']) expect(JSON.stringify({ Version: '2012-10-17', Statement: statements(name) }).length).toBeLessThan(6144);
  });
});

describe('the apply role\'s permissions boundary holds', () => {
  const env = envs.find((e) => e.name === 'prod')!;
  const b = bootstrap(env);
  const admin: Statement[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }]; // AdministratorAccess
  const boundary = b.statements('apply-boundary-policy');
  const can = (req: Request) => evaluate(admin, req, boundary).decision;
  const acct = env.account.id;
  const platform = platformIam(env);
  const workload = { 'iam:PermissionsBoundary': platform.permissionsBoundary };
  const role = (name: string, p = platform.path) => `arn:aws:iam::${acct}:role${p}${name}`;

  it('creates and changes roles under the platform path that carry the workload boundary (what the stacks do)', () => {
    expect(can({ action: 'iam:CreateRole', resource: role('prod-eks-node'), context: workload })).toBe('allow');
    expect(can({ action: 'iam:AttachRolePolicy', resource: role('prod-eks-node'), context: workload })).toBe('allow');
    expect(can({ action: 'iam:PutRolePolicy', resource: role('prod-eks-service'), context: workload })).toBe('allow');
    expect(can({ action: 'iam:PassRole', resource: role('prod-eks-cluster') })).toBe('allow');
    expect(can({ action: 'iam:CreatePolicy', resource: `arn:aws:iam::${acct}:policy/platform/prod/prod-service-access` })).toBe('allow');
    expect(can({ action: 'iam:CreateServiceLinkedRole', resource: `arn:aws:iam::${acct}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS` })).toBe('allow');
    expect(can({ action: 'eks:CreateCluster', resource: '*' })).toBe('allow');
    expect(can({ action: 's3:PutObject', resource: `${b.state.bucket}/platform/prod/data.tfstate` })).toBe('allow');
  });

  it('refuses the two-call escape: an unbounded role, or attaching admin to one (negative)', () => {
    expect(can({ action: 'iam:CreateRole', resource: role('prod-backdoor') })).toBe('explicit-deny');
    expect(can({ action: 'iam:CreateRole', resource: role('prod-backdoor'), context: { 'iam:PermissionsBoundary': `arn:aws:iam::${acct}:policy/platform/prod/loose` } })).toBe('explicit-deny');
    expect(can({ action: 'iam:AttachRolePolicy', resource: role('prod-backdoor') })).toBe('explicit-deny');
    expect(can({ action: 'iam:PutRolePermissionsBoundary', resource: role('prod-eks-node'), context: { 'iam:PermissionsBoundary': `arn:aws:iam::${acct}:policy/platform/prod/loose` } })).toBe('explicit-deny');
    expect(can({ action: 'iam:DeleteRolePermissionsBoundary', resource: role('prod-eks-node') })).toBe('explicit-deny');
  });

  it('touches no role or policy outside the platform path: not the delivery roles, not other admin roles (negative)', () => {
    expect(can({ action: 'iam:UpdateAssumeRolePolicy', resource: role('OrganizationAccountAccessRole', '/') })).toBe('explicit-deny');
    expect(can({ action: 'iam:AttachRolePolicy', resource: role('OrganizationAccountAccessRole', '/'), context: workload })).toBe('explicit-deny');
    expect(can({ action: 'iam:CreateRole', resource: role('prod-x', '/'), context: workload })).toBe('explicit-deny');
    expect(can({ action: 'iam:UpdateAssumeRolePolicy', resource: role('aws-web-platform-prod-plan', '/delivery/') })).toBe('explicit-deny');
    expect(can({ action: 'iam:PassRole', resource: role('aws-web-platform-prod-apply', '/delivery/') })).toBe('explicit-deny');
    expect(can({ action: 'iam:CreatePolicyVersion', resource: `arn:aws:iam::${acct}:policy/delivery/prod-workload-boundary` })).toBe('explicit-deny');
    expect(can({ action: 'iam:CreatePolicyVersion', resource: `arn:aws:iam::${acct}:policy/delivery/prod-delivery-apply-boundary` })).toBe('explicit-deny');
    expect(can({ action: 'sts:AssumeRole', resource: role('OrganizationAccountAccessRole', '/') })).toBe('explicit-deny');
  });

  it('creates no identity provider, user or key, and cannot change GitHub\'s OIDC provider (negative)', () => {
    for (const action of ['iam:CreateOpenIDConnectProvider', 'iam:CreateSAMLProvider', 'iam:UpdateOpenIDConnectProviderThumbprint', 'iam:AddClientIDToOpenIDConnectProvider', 'iam:DeleteOpenIDConnectProvider', 'iam:CreateUser', 'iam:CreateAccessKey', 'iam:AddUserToGroup', 'iam:PutGroupPolicy', 'iam:CreateLoginProfile']) {
      expect([action, can({ action, resource: `arn:aws:iam::${acct}:oidc-provider/token.actions.githubusercontent.com` })]).toEqual([action, 'explicit-deny']);
    }
  });

  it('cannot replicate, log elsewhere, notify, re-policy or delete versions of the state bucket, or disable its key (negative)', () => {
    for (const action of ['s3:PutReplicationConfiguration', 's3:PutBucketLogging', 's3:PutBucketNotification', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketAcl', 's3:PutInventoryConfiguration', 's3:PutLifecycleConfiguration', 's3:PutEncryptionConfiguration', 's3:PutBucketVersioning', 's3:DeleteBucket']) {
      expect([action, can({ action, resource: b.state.bucket })]).toEqual([action, 'explicit-deny']);
    }
    expect(can({ action: 's3:DeleteObjectVersion', resource: `${b.state.bucket}/platform/prod/data.tfstate` })).toBe('explicit-deny');
    expect(can({ action: 's3:DeleteObject', resource: `arn:aws:s3:::prod-tfstate-access-logs-${acct}/state/log` })).toBe('explicit-deny');
    for (const action of ['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:DisableKey', 'kms:CreateGrant']) expect([action, can({ action, resource: b.state.key })]).toEqual([action, 'explicit-deny']);
    for (const action of ['cloudtrail:StopLogging', 'guardduty:DeleteDetector', 'organizations:LeaveOrganization', 'account:CloseAccount']) expect([action, can({ action, resource: '*' })]).toEqual([action, 'explicit-deny']);
  });
});

describe('every role the platform creates is bounded, under the platform path, and still works', () => {
  for (const env of envs) {
    it(`${env.name}: every aws_iam_role carries the workload boundary the bootstrap stack creates, and every policy the path`, () => {
      const platform = platformIam(env);
      const { json } = bootstrap(env);
      // The ARN the platform expects is the one the bootstrap stack creates: same account, path and name.
      const wb = json.resource.aws_iam_policy['workload-boundary'];
      expect(`arn:aws:iam::${env.account.id}:policy${wb.path}${wb.name}`).toBe(platform.permissionsBoundary);
      const roles = stacksOf(env).flatMap((s) => Object.entries<Json>(s.json.resource?.aws_iam_role ?? {}).map(([n, r]) => ({ at: `${s.name} ${n}`, path: r.path, boundary: r.permissions_boundary })));
      expect(roles.length).toBeGreaterThanOrEqual(8);
      expect(roles.filter((r) => r.path !== platform.path || r.boundary !== platform.permissionsBoundary)).toEqual([]);
      const policies = stacksOf(env).flatMap((s) => Object.entries<Json>(s.json.resource?.aws_iam_policy ?? {}).map(([n, p]) => ({ at: `${s.name} ${n}`, path: p.path })));
      expect(policies.filter((p) => p.path !== platform.path)).toEqual([]);
    });
  }

  it('the roles\' own policies stay within the workload boundary (inline and customer-managed statements, and the AWS managed policies they attach)', () => {
    const env = envs.find((e) => e.name === 'prod')!;
    const boundary = bootstrap(env).statements('workload-boundary-policy');
    const allowedByBoundary = (action: string) => evaluate([{ Effect: 'Allow', Action: '*', Resource: '*' }], { action, resource: `arn:aws:${action.split(':')[0]}:${env.region}:${env.account.id}:example/x` }, boundary).decision === 'allow';
    // The boundary-relevant actions of the AWS managed policies the stacks attach (AWS managed policy documents):
    // only AmazonEKSClusterPolicy has an IAM write, the ELB service-linked role.
    const MANAGED: Record<string, string[]> = {
      AmazonEKSClusterPolicy: ['iam:CreateServiceLinkedRole', 'ec2:CreateSecurityGroup', 'elasticloadbalancing:CreateLoadBalancer', 'kms:DescribeKey'],
      AmazonEKSWorkerNodePolicy: ['ec2:DescribeInstances', 'eks:DescribeCluster', 'eks-auth:AssumeRoleForPodIdentity'],
      AmazonEKS_CNI_Policy: ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface'],
      AmazonEC2ContainerRegistryPullOnly: ['ecr:BatchGetImage', 'ecr:GetAuthorizationToken'],
      AmazonRDSEnhancedMonitoringRole: ['logs:CreateLogGroup', 'logs:PutLogEvents'],
    };
    const problems: string[] = [];
    for (const s of stacksOf(env)) {
      for (const [n, att] of Object.entries<Json>(s.json.resource?.aws_iam_role_policy_attachment ?? {})) {
        const managed = /policy\/(?:service-role\/)?([\w-]+)$/.exec(String(att.policy_arn))?.[1];
        if (!managed || String(att.policy_arn).includes('terraform_remote_state')) continue;
        if (!MANAGED[managed]) problems.push(`${s.name} ${n}: AWS managed policy ${managed} is not in this test's table: add its IAM/STS actions`);
        for (const action of MANAGED[managed] ?? []) if (!allowedByBoundary(action)) problems.push(`${s.name} ${n}: ${managed}'s ${action} is outside the workload boundary`);
      }
      const docs = [
        ...Object.values<Json>(s.json.resource?.aws_iam_role_policy ?? {}).map((p) => p.policy),
        ...Object.values<Json>(s.json.resource?.aws_iam_policy ?? {}).map((p) => p.policy),
      ];
      for (const doc of docs) {
        const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(doc));
        const statements = m ? (s.json.data.aws_iam_policy_document[m[1]].statement as Json[]).map((st) => ({ Effect: st.effect ?? 'Allow', Action: st.actions })) : (JSON.parse(String(doc)).Statement as Json[]);
        for (const st of statements.filter((x) => x.Effect !== 'Deny')) {
          for (const action of [st.Action ?? []].flat() as string[]) if (!allowedByBoundary(action.replace(/\*/g, 'Example'))) problems.push(`${s.name}: ${action} is outside the workload boundary`);
        }
      }
    }
    expect(problems).toEqual([]);
    // And the boundary does bind: no IAM writes, no role chaining, no Terraform state.
    expect(allowedByBoundary('iam:CreateRole')).toBe(false);
    expect(allowedByBoundary('iam:AttachRolePolicy')).toBe(false);
    expect(allowedByBoundary('iam:PassRole')).toBe(false);
    expect(allowedByBoundary('sts:AssumeRole')).toBe(false);
    expect(evaluate([{ Effect: 'Allow', Action: '*', Resource: '*' }], { action: 's3:GetObject', resource: `arn:aws:s3:::${env.state.bucket}/platform/prod/data.tfstate` }, boundary).decision).toBe('explicit-deny');
  });
});

describe('one apply fits in one apply session', () => {
  it('the apply role\'s maximum session outlasts the worst-case first apply of every stack (create timeouts along the longest chain, plus init/plan)', () => {
    const worst = envs.flatMap((env) => stacksOf(env).map((s) => ({ stack: s.name, ...worstCaseApply(s.json) }))).sort((a, b) => b.minutes - a.minutes);
    const longest = worst[0];
    // The bound is real: the slow stacks are the ones AWS documents as slow (CloudFront, EKS, Multi-AZ RDS).
    expect(longest.minutes).toBeGreaterThan(60);
    expect(worst.find((w) => w.stack === 'prod-cluster')?.chain.join(' → ')).toMatch(/aws_eks_cluster.*aws_eks_node_group/);
    expect(worst.find((w) => w.stack === 'prod-data')?.minutes).toBeGreaterThanOrEqual(80);
    expect((longest.minutes + APPLY_OVERHEAD_MINUTES) * 60).toBeLessThanOrEqual(APPLY_MAX_SESSION_SECONDS);
    // IAM's ceiling for a role's maximum session is 12 hours.
    expect(APPLY_MAX_SESSION_SECONDS).toBeLessThanOrEqual(43200);
    for (const env of envs) expect(bootstrap(env).json.resource.aws_iam_role['apply-role'].max_session_duration).toBe(APPLY_MAX_SESSION_SECONDS);
  });
});
