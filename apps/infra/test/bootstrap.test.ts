import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { loadEnvironments, type EnvironmentConfig } from '../src/environment';
import { ALL_RULES, GuardrailError, checkStack, type GuardrailRule } from '@awp/guardrails';
import { APPLY_MAX_SESSION_SECONDS, BootstrapStack, BOUNDARY_FORBIDDEN_ACTIONS, fromDocument, GITHUB_OIDC_AUDIENCE, statementMatches, synthBootstrap, type DocumentStatement } from '../src/bootstrap';
import { run } from '../src/cli';

type Json = Record<string, any>;
interface Statement {
  sid?: string;
  effect?: string;
  actions?: string[];
  not_actions?: string[];
  resources?: string[];
  not_resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

const root = path.resolve(__dirname, '../../..');
const [dev, prod] = loadEnvironments(['dev', 'prod'], { relativeTo: root });

function synth(env: EnvironmentConfig, props: Partial<ConstructorParameters<typeof BootstrapStack>[1]> = {}): { stack: BootstrapStack; json: Json } {
  const stack = new BootstrapStack(Testing.app(), { env, ...props });
  return { stack, json: JSON.parse(Testing.synth(stack)) as Json };
}
const one = (json: Json, type: string, name: string): Json => {
  const r = json.resource?.[type]?.[name];
  if (!r) throw new Error(`missing ${type}.${name}`);
  return r as Json;
};
const doc = (json: Json, name: string): Statement[] => json.data.aws_iam_policy_document[name].statement as Statement[];
const docRef = (name: string) => `\${data.aws_iam_policy_document.${name}.json}`;

describe('bootstrap stack: GitHub OIDC trust', () => {
  const { json } = synth(prod);

  it('creates the GitHub OIDC provider for the STS audience', () => {
    const oidc = one(json, 'aws_iam_openid_connect_provider', 'github-oidc');
    expect(oidc.url).toBe('https://token.actions.githubusercontent.com');
    expect(oidc.client_id_list).toEqual(['sts.amazonaws.com']);
  });

  const repoIds = [
    { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:repository_id', values: ['812345679'] },
    { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:repository_owner_id', values: ['98765432'] },
  ];

  it('plan role trusts only this repository’s default-branch runs and merge-queue runs (not pull requests), exact aud and repository IDs', () => {
    const role = one(json, 'aws_iam_role', 'plan-role');
    expect(role.name).toBe('aws-web-platform-prod-plan');
    expect(role.path).toBe('/delivery/');
    expect(role.assume_role_policy).toBe(docRef('plan-trust'));
    expect(role.max_session_duration).toBe(3600);
    const [st, queue, ...rest] = doc(json, 'plan-trust');
    expect(rest).toHaveLength(0);
    expect(st.actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(st.principals).toEqual([{ type: 'Federated', identifiers: ['${aws_iam_openid_connect_provider.github-oidc.arn}'] }]);
    expect(st.condition).toEqual([
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: [GITHUB_OIDC_AUDIENCE] },
      {
        test: 'StringEquals',
        variable: 'token.actions.githubusercontent.com:sub',
        values: [
          'repo:example-org/aws-web-platform:ref:refs/heads/main',
          // GitHub's immutable subject format (repositories created or renamed from 2026-07-15 on).
          'repo:example-org@98765432/aws-web-platform@812345679:ref:refs/heads/main',
        ],
      },
      ...repoIds,
    ]);
    // The merge queue's temporary branches: the one pattern, inside this repository's gh-readonly-queue/main/ only.
    expect(queue.principals).toEqual(st.principals);
    expect(queue.condition).toEqual([
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: [GITHUB_OIDC_AUDIENCE] },
      {
        test: 'StringLike',
        variable: 'token.actions.githubusercontent.com:sub',
        values: ['repo:example-org/aws-web-platform:ref:refs/heads/gh-readonly-queue/main/*', 'repo:example-org@98765432/aws-web-platform@812345679:ref:refs/heads/gh-readonly-queue/main/*'],
      },
      ...repoIds,
    ]);
  });

  it('a merge-queue run may assume the plan role; another branch, another repository or the apply role may not (negative)', () => {
    const [exact, queue] = fromDocument(doc(json, 'plan-trust') as DocumentStatement[]).map((st) => ({ ...st, Resource: '*' }));
    const req = (sub: string, id = '812345679') => ({
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: 'arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-plan',
      context: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': sub, 'token.actions.githubusercontent.com:repository_id': id, 'token.actions.githubusercontent.com:repository_owner_id': '98765432' },
    });
    const plan = (sub: string, id?: string) => statementMatches(exact, req(sub, id)) || statementMatches(queue, req(sub, id));
    expect(plan('repo:example-org/aws-web-platform:ref:refs/heads/gh-readonly-queue/main/pr-42-0123456789abcdef0123456789abcdef01234567')).toBe(true);
    // Pull requests plan with their own role (below), which reads no secret.
    expect(plan('repo:example-org/aws-web-platform:pull_request')).toBe(false);
    expect(plan('repo:example-org@98765432/aws-web-platform@812345679:pull_request')).toBe(false);
    expect(plan('repo:example-org/aws-web-platform:ref:refs/heads/feature/gh-readonly-queue/main/x')).toBe(false);
    expect(plan('repo:example-org/aws-web-platform:ref:refs/heads/gh-readonly-queue/release/pr-1-abc')).toBe(false);
    expect(plan('repo:example-org/aws-web-platform-fork:ref:refs/heads/gh-readonly-queue/main/pr-1-abc')).toBe(false);
    expect(plan('repo:example-org/aws-web-platform:ref:refs/heads/gh-readonly-queue/main/pr-1-abc', '999999999')).toBe(false);
    // The apply role keeps exact subjects only.
    expect(JSON.stringify(doc(json, 'apply-trust'))).not.toMatch(/StringLike|\*/);
  });

  it('the pull-request plan role trusts this repository’s pull_request subject only, exact, with its own read policy as boundary', () => {
    const role = one(json, 'aws_iam_role', 'plan-pr-role');
    expect(role).toMatchObject({ name: 'aws-web-platform-prod-plan-pr', path: '/delivery/', max_session_duration: 3600, assume_role_policy: docRef('plan-pr-trust'), permissions_boundary: '${aws_iam_policy.plan-pr-read.arn}' });
    const [st, ...rest] = doc(json, 'plan-pr-trust');
    expect(rest).toHaveLength(0);
    expect(st.condition).toEqual([
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: [GITHUB_OIDC_AUDIENCE] },
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:example-org/aws-web-platform:pull_request', 'repo:example-org@98765432/aws-web-platform@812345679:pull_request'] },
      ...repoIds,
    ]);
    const trusted = fromDocument(doc(json, 'plan-pr-trust') as DocumentStatement[]).map((x) => ({ ...x, Resource: '*' }));
    const req = (sub: string) => ({
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: 'arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-plan-pr',
      context: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': sub, 'token.actions.githubusercontent.com:repository_id': '812345679', 'token.actions.githubusercontent.com:repository_owner_id': '98765432' },
    });
    const can = (sub: string) => trusted.some((t) => statementMatches(t, req(sub)));
    expect(can('repo:example-org/aws-web-platform:pull_request')).toBe(true);
    // Reviewed code plans with the other plan role; nobody else gets this one (negative).
    expect(can('repo:example-org/aws-web-platform:ref:refs/heads/main')).toBe(false);
    expect(can('repo:example-org/aws-web-platform:ref:refs/heads/gh-readonly-queue/main/pr-1-abc')).toBe(false);
    expect(can('repo:example-org/aws-web-platform:environment:prod')).toBe(false);
    expect(can('repo:example-org/aws-web-platform-fork:pull_request')).toBe(false);
    const attachments = Object.values(json.resource.aws_iam_role_policy_attachment as Record<string, Json>).filter((a) => a.role === '${aws_iam_role.plan-pr-role.name}');
    expect(attachments.map((a) => a.policy_arn)).toEqual(['${aws_iam_policy.plan-pr-read.arn}']);
    expect(one(json, 'aws_iam_policy', 'plan-pr-read')).toMatchObject({ name: 'prod-delivery-plan-pr-read', path: '/delivery/', policy: docRef('plan-pr-read-policy') });
  });

  it('apply role trusts only the protected GitHub environment of the same name, in this repository by ID', () => {
    const role = one(json, 'aws_iam_role', 'apply-role');
    expect(role.name).toBe('aws-web-platform-prod-apply');
    expect(role.path).toBe('/delivery/');
    const [st, ...rest] = doc(json, 'apply-trust');
    expect(rest).toHaveLength(0);
    expect(st.condition).toEqual([
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: ['sts.amazonaws.com'] },
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:example-org/aws-web-platform:environment:prod', 'repo:example-org@98765432/aws-web-platform@812345679:environment:prod'] },
      ...repoIds,
    ]);
    // No wildcard in the apply trust: StringLike with * is how other repositories get in.
    expect(JSON.stringify(doc(json, 'apply-trust'))).not.toMatch(/StringLike|repo:[^"]*\*/);
  });

  it('a repository re-created under the same name (same sub, other ID) cannot assume the roles (negative)', () => {
    // A trust policy names no Resource: it is the role itself.
    const st = { ...fromDocument(doc(json, 'apply-trust') as DocumentStatement[])[0], Resource: '*' };
    const req = (id: string) => ({
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: 'arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-apply',
      context: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': 'repo:example-org/aws-web-platform:environment:prod', 'token.actions.githubusercontent.com:repository_id': id, 'token.actions.githubusercontent.com:repository_owner_id': '98765432' },
    });
    expect(statementMatches(st, req('812345679'))).toBe(true);
    expect(statementMatches(st, req('999999999'))).toBe(false);
  });

  it('without repositoryOwnerId the trust accepts the default subject format only, still pinned to the repository ID', () => {
    const { json: j } = synth({ ...prod, repositoryOwnerId: undefined });
    expect(doc(j, 'apply-trust')[0].condition).toEqual([
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: ['sts.amazonaws.com'] },
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:example-org/aws-web-platform:environment:prod'] },
      repoIds[0],
    ]);
  });

  it('the dev stack trusts environment:dev, not prod', () => {
    const { json: d } = synth(dev);
    expect(doc(d, 'apply-trust')[0].condition?.[1].values).toEqual(['repo:example-org/aws-web-platform:environment:dev', 'repo:example-org@98765432/aws-web-platform@812345679:environment:dev']);
  });

  it('looks the provider up instead when the account already has one', () => {
    const { json: j } = synth(dev, { existingOidcProvider: true });
    expect(j.resource.aws_iam_openid_connect_provider).toBeUndefined();
    expect(j.data.aws_iam_openid_connect_provider['github-oidc'].url).toBe('https://token.actions.githubusercontent.com');
    expect(doc(j, 'plan-trust')[0].principals?.[0].identifiers).toEqual(['${data.aws_iam_openid_connect_provider.github-oidc.arn}']);
  });
});

describe('bootstrap stack: the plan roles write nothing', () => {
  const { json } = synth(dev);
  const bucketArn = 'arn:aws:s3:::awp-tfstate-111111111111';
  const statements = doc(json, 'plan-read-policy');
  const writeVerb = /^(s3|kms):(Put|Delete|Create|Update|Restore|Replicate|Abort|Encrypt|ReEncrypt|Schedule|Disable|Enable|Tag|Untag|\*)/;

  it('has exactly its read policy attached, and the same policy as its permissions boundary', () => {
    const attachments = Object.values(json.resource.aws_iam_role_policy_attachment as Record<string, Json>).filter((a) => a.role === '${aws_iam_role.plan-role.name}');
    expect(attachments.map((a) => a.policy_arn)).toEqual(['${aws_iam_policy.plan-read.arn}']);
    expect(one(json, 'aws_iam_role', 'plan-role').permissions_boundary).toBe('${aws_iam_policy.plan-read.arn}');
    expect(one(json, 'aws_iam_policy', 'plan-read')).toMatchObject({ path: '/delivery/', policy: docRef('plan-read-policy') });
    expect(json.resource.aws_iam_role_policy).toBeUndefined();
  });

  it('allows no write at all, not even a lock file (plans run with -lock=false)', () => {
    for (const name of ['plan-read-policy', 'plan-pr-read-policy']) {
      const allowedWrites = doc(json, name).filter((s) => s.effect !== 'Deny').filter((s) => (s.actions ?? []).some((a) => writeVerb.test(a)));
      expect([name, allowedWrites]).toEqual([name, []]);
      expect(doc(json, name).some((s) => s.not_actions)).toBe(false);
    }
  });

  it('denies every object write explicitly, wherever', () => {
    const deny = statements.find((s) => s.sid === 'DenyObjectWrites');
    expect(deny?.effect).toBe('Deny');
    expect(deny?.actions).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject']));
    expect(deny?.resources).toEqual(['*']);
  });

  it('reads this environment’s state, and uses the state key only to decrypt it', () => {
    expect(statements.find((s) => s.sid === 'ReadState')).toMatchObject({ actions: ['s3:GetObject'], resources: [`${bucketArn}/platform/dev/*`] });
    expect(statements.find((s) => s.sid === 'UseStateKey')).toMatchObject({ resources: ['${aws_kms_key.state-key.arn}'] });
    expect(statements.find((s) => s.sid === 'UseStateKey')?.actions?.sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
  });
});

describe('bootstrap stack: apply role', () => {
  const { json } = synth(prod);
  it('is AdministratorAccess inside a permissions boundary that forbids IAM users, keys, identity providers and leaving the org', () => {
    const role = one(json, 'aws_iam_role', 'apply-role');
    expect(role.permissions_boundary).toBe('${aws_iam_policy.apply-boundary.arn}');
    expect(role.max_session_duration).toBe(APPLY_MAX_SESSION_SECONDS);
    const attachments = Object.values(json.resource.aws_iam_role_policy_attachment as Record<string, Json>).filter((a) => a.role === '${aws_iam_role.apply-role.name}');
    expect(attachments.map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    expect(one(json, 'aws_iam_policy', 'apply-boundary')).toMatchObject({ path: '/delivery/', policy: docRef('apply-boundary-policy') });
    const boundary = doc(json, 'apply-boundary-policy');
    const allow = boundary.filter((s) => s.effect !== 'Deny');
    expect(allow).toHaveLength(1);
    expect(allow[0].actions).toBeUndefined();
    expect(allow[0].not_actions).toEqual([...BOUNDARY_FORBIDDEN_ACTIONS]);
    expect(allow[0].not_actions).toEqual(expect.arrayContaining(['iam:*User*', 'iam:*AccessKey*', 'iam:*OpenIDConnectProvider*', 'organizations:*']));
  });

  it('requires the workload boundary on every role it creates or changes, and keeps it to the platform path', () => {
    const deny = (sid: string) => doc(json, 'apply-boundary-policy').find((s) => s.sid === sid);
    expect(deny('DenyRolesWithoutWorkloadBoundary')).toMatchObject({
      effect: 'Deny',
      resources: ['*'],
      condition: [{ test: 'StringNotEquals', variable: 'iam:PermissionsBoundary', values: ['arn:aws:iam::333333333333:policy/delivery/prod-workload-boundary'] }],
    });
    expect(deny('DenyRolesWithoutWorkloadBoundary')?.actions).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:PutRolePermissionsBoundary']));
    expect(deny('DenyIamOutsidePlatformPath')?.not_resources).toEqual(['arn:aws:iam::333333333333:role/platform/prod/*', 'arn:aws:iam::333333333333:policy/platform/prod/*', 'arn:aws:iam::333333333333:instance-profile/platform/prod/*']);
    expect(one(json, 'aws_iam_policy', 'workload-boundary')).toMatchObject({ name: 'prod-workload-boundary', path: '/delivery/' });
  });

  it('may not weaken the state bucket, the state key, the delivery roles or the boundaries', () => {
    const deny = (sid: string) => doc(json, 'apply-boundary-policy').find((s) => s.sid === sid);
    expect(deny('DenyStateBucketTampering')).toMatchObject({ effect: 'Deny' });
    expect(deny('DenyStateBucketTampering')?.resources).toEqual(expect.arrayContaining(['arn:aws:s3:::awp-tfstate-333333333333', 'arn:aws:s3:::awp-tfstate-333333333333/*']));
    expect(deny('DenyStateBucketTampering')?.actions).toEqual(expect.arrayContaining(['s3:DeleteBucket*', 's3:PutBucket*', 's3:PutReplicationConfiguration']));
    expect(deny('DenyStateKeyTampering')?.actions).toContain('kms:ScheduleKeyDeletion');
    expect(deny('DenyDeliveryTampering')?.resources).toEqual([
      'arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-plan',
      'arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-plan-pr',
      'arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-apply',
      'arn:aws:iam::333333333333:policy/delivery/prod-delivery-apply-boundary',
      'arn:aws:iam::333333333333:policy/delivery/prod-workload-boundary',
      'arn:aws:iam::333333333333:policy/delivery/prod-delivery-plan-read',
      'arn:aws:iam::333333333333:policy/delivery/prod-delivery-plan-pr-read',
    ]);
  });
});

describe('bootstrap stack: state bucket', () => {
  const { json } = synth(prod);
  const bucketRef = '${aws_s3_bucket.state.id}';

  it('is the environment’s bucket, protected from destroy', () => {
    const b = one(json, 'aws_s3_bucket', 'state');
    expect(b.bucket).toBe('awp-tfstate-333333333333');
    expect(b.lifecycle).toEqual({ prevent_destroy: true });
    expect(one(json, 'aws_kms_key', 'state-key').lifecycle).toEqual({ prevent_destroy: true });
  });

  it('is versioned and encrypted with the rotating CMK', () => {
    expect(one(json, 'aws_s3_bucket_versioning', 'state-versioning')).toMatchObject({ bucket: bucketRef, versioning_configuration: { status: 'Enabled' } });
    const sse = one(json, 'aws_s3_bucket_server_side_encryption_configuration', 'state-encryption');
    expect(sse.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: 'aws:kms', kms_master_key_id: '${aws_kms_key.state-key.arn}' });
    expect(sse.rule[0].bucket_key_enabled).toBe(true);
    expect(one(json, 'aws_kms_key', 'state-key').enable_key_rotation).toBe(true);
  });

  it('blocks public access, enforces bucket-owner ownership and refuses plain HTTP', () => {
    expect(one(json, 'aws_s3_bucket_public_access_block', 'state-public-access')).toMatchObject({ bucket: bucketRef, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(one(json, 'aws_s3_bucket_ownership_controls', 'state-ownership').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(one(json, 'aws_s3_bucket_policy', 'state-policy').policy).toBe(docRef('state-policy-document'));
    const [tls] = doc(json, 'state-policy-document');
    expect(tls).toMatchObject({ effect: 'Deny', actions: ['s3:*'], resources: ['${aws_s3_bucket.state.arn}', '${aws_s3_bucket.state.arn}/*'] });
    expect(tls.condition).toEqual([{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }]);
  });

  it('state is written with the state key: no backend asks for other encryption, and the bucket refuses any other header (negative)', () => {
    // Terraform's S3 backend with `encrypt = true` and no kms_key_id sends SSE-S3 (AES256), overriding the bucket's
    // SSE-KMS default: the backends send no header, and the bucket policy denies a header asking for anything else.
    const { json: s3 } = synth(prod, { backend: 's3' });
    expect(s3.terraform.backend.s3.encrypt).toBeUndefined();
    const policy = fromDocument(doc(json, 'state-policy-document') as DocumentStatement[]);
    const put = (headers: Record<string, string>) => ({ action: 's3:PutObject', resource: 'arn:aws:s3:::awp-tfstate-333333333333/platform/prod/data.tfstate', context: { 'aws:SecureTransport': 'true', ...headers } });
    const denied = (headers: Record<string, string>) => policy.some((st) => st.Effect === 'Deny' && statementMatches(st, put(headers)));
    expect(denied({})).toBe(false); // the bucket's default: the state key
    expect(denied({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': '${aws_kms_key.state-key.arn}' })).toBe(false);
    expect(denied({ 's3:x-amz-server-side-encryption': 'AES256' })).toBe(true);
    expect(denied({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:444444444444:key/other' })).toBe(true);
  });

  it('expires noncurrent versions and logs access to the access-log bucket', () => {
    const rule = one(json, 'aws_s3_bucket_lifecycle_configuration', 'state-lifecycle').rule[0];
    expect(rule.status).toBe('Enabled');
    expect(rule.noncurrent_version_expiration[0].noncurrent_days).toBe(90);
    expect(one(json, 'aws_s3_bucket_logging', 'state-logging')).toMatchObject({ bucket: bucketRef, target_bucket: '${aws_s3_bucket.access-logs.id}', target_prefix: 'state/' });
    const logWrite = doc(json, 'access-logs-policy-document').find((s) => s.sid === 'S3ServerAccessLogsFromStateBucket');
    expect(logWrite?.principals).toEqual([{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }]);
    expect(logWrite?.condition).toEqual(expect.arrayContaining([{ test: 'StringEquals', variable: 'aws:SourceAccount', values: ['333333333333'] }]));
  });

  it('keeps its own state locally by default and in the bucket with --backend s3', () => {
    expect(json.terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    const { json: s3 } = synth(prod, { backend: 's3' });
    expect(s3.terraform.backend.s3).toMatchObject({ bucket: 'awp-tfstate-333333333333', key: 'platform/prod/bootstrap.tfstate', use_lockfile: true });
  });

  it('pins the account and tags everything', () => {
    const [provider] = json.provider.aws as Json[];
    expect(provider.allowed_account_ids).toEqual(['333333333333']);
    expect(provider.default_tags[0].tags).toMatchObject({ Environment: 'prod', Layer: 'bootstrap' });
  });
});

describe('bootstrap stack: guardrails and CLI', () => {
  it('passes every guardrail with no suppression', () => {
    const stack = new BootstrapStack(Testing.app(), { env: prod });
    expect(checkStack(stack, ALL_RULES)).toEqual([]);
  });

  it('a guardrail error stops synthBootstrap before anything is written (negative)', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bs-'));
    try {
      const noPublicBuckets: GuardrailRule = { id: 'AWP-TST-001', severity: 'error', description: 'test', fix: 'test', appliesTo: ['aws_s3_bucket'], check: ({ element }) => `bucket ${String(element.config.bucket)} refused` };
      expect(() => synthBootstrap({ envs: ['dev'], outdir: out, relativeTo: root, rules: [...ALL_RULES, noPublicBuckets] })).toThrow(GuardrailError);
      expect(() => synthBootstrap({ envs: ['dev'], outdir: out, relativeTo: root, rules: [noPublicBuckets] })).toThrow(/AWP-TST-001[\s\S]*awp-tfstate-111111111111 refused/);
      expect(existsSync(path.join(out, 'bootstrap'))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('`platform bootstrap --env dev` writes cdktf.out/bootstrap/dev/cdk.tf.json', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bs-cli-'));
    try {
      let printed = '';
      const code = await run(['bootstrap', '--env', 'dev', '--out', out], (s) => (printed += s), (s) => (printed += s));
      expect(code).toBe(0);
      const file = path.join(out, 'bootstrap', 'dev', 'cdk.tf.json');
      const json = JSON.parse(readFileSync(file, 'utf8')) as Json;
      expect(json.resource.aws_s3_bucket.state.bucket).toBe('awp-tfstate-111111111111');
      expect(printed).toMatch(/dev\s+\d+\s+/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses an unknown environment naming it, and writes nothing', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bs-cli-'));
    try {
      let err = '';
      const code = await run(['bootstrap', '--env', 'nope', '--out', out], () => undefined, (s) => (err += s));
      expect(code).toBe(1);
      expect(err).toMatch(/nope/);
      expect(() => readFileSync(path.join(out, 'bootstrap', 'nope', 'cdk.tf.json'))).toThrow();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('`platform bootstrap --describe` prints each environment’s roles, region and domain from the environment files', async () => {
    let printed = '';
    expect(await run(['bootstrap', '--describe'], (s) => (printed += s))).toBe(0);
    const targets = JSON.parse(printed) as Json[];
    expect(targets.map((t) => t.env)).toEqual(['dev', 'staging', 'prod']);
    expect(targets.find((t) => t.env === 'staging')).toEqual({
      env: 'staging',
      account: '222222222222',
      region: 'eu-west-1',
      stateBucket: 'awp-tfstate-222222222222',
      planRoleArn: 'arn:aws:iam::222222222222:role/delivery/aws-web-platform-staging-plan',
      planPullRequestRoleArn: 'arn:aws:iam::222222222222:role/delivery/aws-web-platform-staging-plan-pr',
      pullRequestPlanSkips: ['identity'],
      applyRoleArn: 'arn:aws:iam::222222222222:role/delivery/aws-web-platform-staging-apply',
      domain: 'staging.shop.example.com',
      promotesFrom: 'dev',
      applySessionSeconds: APPLY_MAX_SESSION_SECONDS,
      runsOn: ['self-hosted', 'linux', 'x64', 'awp-staging'],
      planRunsOn: ['self-hosted', 'linux', 'x64', 'awp-staging-plan'],
    });
    // The workflows' runs-on per environment: self-hosted runners in each VPC reach the private EKS endpoints.
    expect(targets.map((t) => t.runsOn[3])).toEqual(['awp-dev', 'awp-staging', 'awp-prod']);
    // Plans (pull-request code) never run on the runners that apply an environment.
    expect(targets.map((t) => t.planRunsOn[3])).toEqual(['awp-dev-plan', 'awp-staging-plan', 'awp-prod-plan']);
  });

  it('declares required_version >= 1.11 in the bootstrap stack too', () => {
    expect(synth(prod).json.terraform.required_version).toBe('>= 1.11');
    expect(synth(dev, { backend: 's3' }).json.terraform.required_version).toBe('>= 1.11');
  });

  it('synthBootstrap writes one file per environment', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bs-'));
    try {
      const result = synthBootstrap({ envs: ['dev', 'staging'], outdir: out, relativeTo: root });
      expect(result.files.map((f) => path.relative(out, f.path))).toEqual([path.join('bootstrap', 'dev', 'cdk.tf.json'), path.join('bootstrap', 'staging', 'cdk.tf.json')]);
      expect(result.files.every((f) => f.resources > 20)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
