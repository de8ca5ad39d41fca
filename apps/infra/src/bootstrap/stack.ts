import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsIamOpenidConnectProvider } from '@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { applyIamConvention, defaultTags, DELIVERY_IAM_PATH, deliveryRoleArns, deliveryRoleNames, globalName, IAM_CONTEXT_KEY, platformIam, requireTerraformVersion, resourceName, stateObjectKey, tlsOnlyBucketStatements } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { applyBoundaryStatements, planRoleStatements, workloadBoundaryStatements, type PlanAccess } from './policies';
import { PULL_REQUEST_SECRET_STATES } from './plan-reads';

/** GitHub's OIDC issuer and the audience configure-aws-credentials asks for. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/**
 * Thumbprints of GitHub's OIDC endpoint certificates (published by GitHub). AWS has validated this issuer
 * against its own trusted CA store since 2023 and ignores them, but the API still stores a list.
 */
export const GITHUB_OIDC_THUMBPRINTS = ['6938fd4d98bab03faadb97b34396831e3780aea1', '1c58a3a8518e8759bf075b76b750d4f2df264fcd'];
/** Plan sessions last at most one hour: a plan of one environment fits, a leaked token soon expires. */
export const PLAN_MAX_SESSION_SECONDS = 3600;
/**
 * The apply role's longest session: one stack's first apply, worst case. Terraform gives up on a resource at the
 * provider's create timeout, so the longest chain of those timeouts in a stack bounds its apply: the edge stack's
 * certificate validation (75 min, aws_acm_certificate_validation's default) then the distribution's deployment
 * (the provider waits up to 90 min): 2 h 45 min, 3 h 05 min with init, plan and refresh; the cluster stack's EKS control
 * plane (30) → pod identity and VPC CNI add-ons (20 + 20) → node group (60) → CloudWatch add-on (20): 2 h 30 min; the
 * data stack's Multi-AZ primary (40) → read replicas (40).
 * Typical times are far shorter (AWS: an EKS control plane averages ~15 min), but a session that ends mid-apply
 * leaves a half-applied stack and a held lock, so the role allows the worst case; each stack assumes the role
 * afresh (the deploy workflow). apps/infra/test/bootstrap.test.ts recomputes the chains from the synthesized stacks.
 */
export const APPLY_MAX_SESSION_SECONDS = 4 * 3600;

export interface BootstrapStackProps {
  readonly env: EnvironmentConfig;
  /**
   * Where the bootstrap stack keeps its own state. `local` (first apply: the bucket does not exist yet) or
   * `s3` (after the first apply, `terraform init -migrate-state` moves it into the bucket it created).
   * @default 'local'
   */
  readonly backend?: 'local' | 's3';
  /**
   * The account already has GitHub's OIDC provider (an account holds one per issuer URL): look it up instead
   * of creating it.
   * @default false
   */
  readonly existingOidcProvider?: boolean;
  /**
   * Days noncurrent state versions are kept (old states are how a bad apply is rolled back by hand).
   * @default 90
   */
  readonly noncurrentVersionDays?: number;
  /**
   * Branch whose workflows (scheduled drift detection) may assume the read-only plan role.
   * @default 'main'
   */
  readonly defaultBranch?: string;
}

/**
 * The GitHub OIDC subject claims each role trusts, exactly (no wildcards), in GitHub's default format
 * `repo:<org>/<repo>:<context>` and, when the owner's ID is configured, also in its immutable format
 * `repo:<org>@<ownerId>/<repo>@<repositoryId>:<context>` (the default for repositories created from 2026-07-15 on,
 * and for every repository renamed or transferred since; others opt in — GitHub docs → OpenID Connect reference).
 */
export function trustedSubjects(env: EnvironmentConfig, defaultBranch = 'main'): { plan: string[]; planPatterns: string[]; planPullRequest: string[]; apply: string[] } {
  const [owner, name] = env.repository.split('/');
  const prefixes = [`repo:${env.repository}`, ...(env.repositoryOwnerId !== undefined ? [`repo:${owner}@${env.repositoryOwnerId}/${name}@${env.repositoryId}`] : [])];
  return {
    // Scheduled drift detection runs on the default branch without an environment. Not pull requests: they get
    // their own role (below), which reads no secret; reviewed code (merge queue, default branch) plans with this one.
    plan: prefixes.map((p) => `${p}:ref:refs/heads/${defaultBranch}`),
    // Every same-repository pull request, reviewed or not, shares this subject: only the pull-request plan role.
    planPullRequest: prefixes.map((p) => `${p}:pull_request`),
    // The merge queue (pr.yml on merge_group) plans what will land on a temporary branch GitHub names
    // gh-readonly-queue/<base>/pr-<n>-<sha>; its OIDC subject is that ref. The only wildcard in any trust: after this
    // repository's own prefix, inside that namespace, and the repository IDs are still matched exactly.
    planPatterns: prefixes.map((p) => `${p}:ref:refs/heads/gh-readonly-queue/${defaultBranch}/*`),
    // Only jobs bound to the GitHub environment of the same name (protection rules, reviewers on prod) apply.
    apply: prefixes.map((p) => `${p}:environment:${env.name}`),
  };
}

/**
 * The secrets whose value a plan may read, exactly: those whose version Terraform manages (refresh reads it) and
 * that hold no secret. The data layer's cache settings are connection settings (the cache uses IAM auth).
 */
export function planSecretNames(env: EnvironmentConfig): string[] {
  return [`${env.name}/${env.service.name}/cache-auth`];
}

/** The plan roles' policy names (also their permissions boundaries). */
export function planPolicyNames(env: EnvironmentConfig): { plan: string; planPullRequest: string } {
  return { plan: `${env.name}-delivery-plan-read`, planPullRequest: `${env.name}-delivery-plan-pr-read` };
}

/**
 * The per-account foundation of the delivery pipeline, applied once by hand (docs/delivery.md):
 * the Terraform state bucket with its KMS key and access-log bucket, GitHub's OIDC provider, the environment's
 * read-only plan role and apply role, and the permissions boundaries that cap the apply role and every role it
 * creates.
 */
export class BootstrapStack extends TerraformStack {
  readonly env: EnvironmentConfig;
  readonly stateBucketName: string;
  readonly accessLogBucketName: string;
  readonly planRoleName: string;
  readonly planPullRequestRoleName: string;
  readonly applyRoleName: string;

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, `${props.env.name}-bootstrap`);
    const { env } = props;
    this.env = env;
    this.node.setContext('awp:tier', env.tier);
    // The delivery roles and their policies live under their own path, out of the apply role's reach.
    this.node.setContext(IAM_CONTEXT_KEY, { path: DELIVERY_IAM_PATH });
    const region = env.state.region ?? env.region;
    const partition = 'aws';
    const account = env.account.id;
    const bucket = env.state.bucket;
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const roles = deliveryRoleNames(env);
    const roleArns = deliveryRoleArns(env);
    const platform = platformIam(env);
    this.stateBucketName = bucket;
    this.planRoleName = roles.plan;
    this.planPullRequestRoleName = roles.planPullRequest;
    this.applyRoleName = roles.apply;

    if ((props.backend ?? 'local') === 's3') {
      new S3Backend(this, { bucket, key: `${env.state.keyPrefix}/${env.name}/bootstrap.tfstate`, region }); // encrypted by the bucket's default key (see PlatformStack)
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      // Local state in the working directory: copy terraform.tfstate somewhere safe or migrate it (docs/delivery.md).
      new LocalBackend(this, { path: 'terraform.tfstate' });
    }
    requireTerraformVersion(this);
    new AwsProvider(this, 'aws', { region, allowedAccountIds: [account], defaultTags: [{ tags: defaultTags(env, 'bootstrap') }] });

    // ---- State key ------------------------------------------------------------------------------------
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'state-key-policy', {
      statement: [
        // The account administers the key; the roles get their use of it from IAM policies (below).
        { sid: 'AccountAdministers', principals: [{ type: 'AWS', identifiers: [`arn:${partition}:iam::${account}:root`] }], actions: ['kms:*'], resources: ['*'] },
      ],
    });
    const stateKey = new KmsKey(this, 'state-key', {
      description: `${env.name}: Terraform state encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: keyPolicy.json,
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'state-key-alias', { name: `alias/${resourceName(env, 'tfstate')}`, targetKeyId: stateKey.keyId });

    // ---- Access-log bucket (S3 server access logs of the state bucket) --------------------------------
    this.accessLogBucketName = globalName(env, 'tfstate-access-logs');
    const logBucketArn = `arn:${partition}:s3:::${this.accessLogBucketName}`;
    const logBucket = new S3Bucket(this, 'access-logs', { bucket: this.accessLogBucketName, lifecycle: { preventDestroy: true } });
    this.protectBucket('access-logs', logBucket, {
      // S3 server access log delivery does not support SSE-KMS target buckets: SSE-S3 is the only option.
      encryption: { sseAlgorithm: 'AES256' },
      extraStatements: [
        {
          sid: 'S3ServerAccessLogsFromStateBucket',
          principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [`${logBucket.arn}/state/*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [bucketArn] },
          ],
        },
      ],
      lifecycleRules: [
        { id: 'expire-access-logs', status: 'Enabled', filter: [{ prefix: '' }], expiration: [{ days: 365 }], noncurrentVersionExpiration: [{ noncurrentDays: 30 }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
      ],
    });

    // ---- State bucket -----------------------------------------------------------------------------------
    const state = new S3Bucket(this, 'state', { bucket, lifecycle: { preventDestroy: true } });
    this.protectBucket('state', state, {
      encryption: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: stateKey.arn },
      extraStatements: [
        {
          // State is encrypted with the state key, by default (the stacks' backends send no encryption header):
          // an explicit header asking for anything else (SSE-S3, another key) is refused instead of silently
          // weakening the encryption. Both conditions hold only when the header is present (Null = false).
          sid: 'DenyOtherEncryption',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:PutObject'],
          resources: [`${bucketArn}/*`],
          condition: [
            { test: 'Null', variable: 's3:x-amz-server-side-encryption', values: ['false'] },
            { test: 'StringNotEquals', variable: 's3:x-amz-server-side-encryption', values: ['aws:kms'] },
          ],
        },
        {
          sid: 'DenyOtherKey',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:PutObject'],
          resources: [`${bucketArn}/*`],
          condition: [
            { test: 'Null', variable: 's3:x-amz-server-side-encryption-aws-kms-key-id', values: ['false'] },
            { test: 'StringNotEquals', variable: 's3:x-amz-server-side-encryption-aws-kms-key-id', values: [stateKey.arn] },
          ],
        },
      ],
      lifecycleRules: [
        {
          id: 'expire-old-state-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 90, newerNoncurrentVersions: 10 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketLoggingA(this, 'state-logging', { bucket: state.id, targetBucket: logBucket.id, targetPrefix: 'state/' });

    // ---- GitHub OIDC provider ----------------------------------------------------------------------------
    const oidcArn = props.existingOidcProvider
      ? new DataAwsIamOpenidConnectProvider(this, 'github-oidc', { url: `https://${GITHUB_OIDC_HOST}` }).arn
      : new IamOpenidConnectProvider(this, 'github-oidc', {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIdList: [GITHUB_OIDC_AUDIENCE],
          thumbprintList: GITHUB_OIDC_THUMBPRINTS,
        }).arn;
    const subjects = trustedSubjects(env, props.defaultBranch);
    const trust = (id: string, subs: string[], subPatterns: string[] = []) => {
      const statement = (sid: string, test: 'StringEquals' | 'StringLike', values: string[]): DataAwsIamPolicyDocumentStatement => ({
        sid,
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [{ type: 'Federated', identifiers: [oidcArn] }],
        condition: [
          { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:aud`, values: [GITHUB_OIDC_AUDIENCE] },
          // StringEquals, not StringLike (but for the merge queue's own ref namespace): a wildcard is how other
          // repositories get in.
          { test, variable: `${GITHUB_OIDC_HOST}:sub`, values },
          // The repository's immutable IDs (condition keys AWS STS documents for GitHub's provider): a repository
          // re-created under the same name, or a name taken over after a rename, has other IDs.
          { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:repository_id`, values: [String(env.repositoryId)] },
          ...(env.repositoryOwnerId !== undefined ? [{ test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:repository_owner_id`, values: [String(env.repositoryOwnerId)] }] : []),
        ],
      });
      // Conditions in one statement are ANDed: the merge-queue pattern needs a statement of its own.
      return new DataAwsIamPolicyDocument(this, id, {
        statement: [statement('GitHubActionsOidc', 'StringEquals', subs), ...(subPatterns.length ? [statement('GitHubMergeQueueOidc', 'StringLike', subPatterns)] : [])],
      });
    };

    const stateObjects = `${bucketArn}/${env.state.keyPrefix}/${env.name}/*`;
    const access: PlanAccess = { bucketArn, stateObjects, stateKeyArn: stateKey.arn, region: env.region, account, secretNames: planSecretNames(env) };

    // ---- Plan roles: read metadata and this environment's state, write nothing (plans run with -lock=false) -----
    const planRoleOf = (id: string, p: { name: string; policyName: string; access: PlanAccess; trust: DataAwsIamPolicyDocument; description: string; policyDescription: string }) => {
      const planDoc = new DataAwsIamPolicyDocument(this, `${id}-read-policy`, { statement: planRoleStatements(p.access) });
      const planPolicy = new IamPolicy(this, `${id}-read`, { name: p.policyName, description: p.policyDescription, policy: planDoc.json });
      const role = new IamRole(this, `${id}-role`, {
        name: p.name,
        description: p.description,
        assumeRolePolicy: p.trust.json,
        maxSessionDuration: PLAN_MAX_SESSION_SECONDS,
        // The same policy as its ceiling: whatever is attached later, this role stays a plan role.
        permissionsBoundary: planPolicy.arn,
      });
      new IamRolePolicyAttachment(this, `${id}-read-attachment`, { role: role.name, policyArn: planPolicy.arn });
      return role;
    };
    // Reviewed code: the merge queue (what will land) and the default branch (drift). Reads what a refresh reads.
    const planRole = planRoleOf('plan', {
      name: roles.plan,
      policyName: planPolicyNames(env).plan,
      access,
      trust: trust('plan-trust', subjects.plan, subjects.planPatterns),
      description: `GitHub Actions (${env.repository}) merge-queue and drift plans of ${env.name}: read-only`,
      policyDescription: 'What terraform plan reads: service metadata, this environment\'s state; no content outside them, no writes',
    });
    // Any same-repository pull request runs its own code with this role, before review: it reads no secret at all
    // (ACCEPTED_PLAN_EXPOSURES.pullRequest is empty). The identity stack (its app clients' secrets, in its refresh
    // and its state) and what reads its state are planned in the merge queue instead (PULL_REQUEST_PLAN_SKIPS).
    const planPullRequestRole = planRoleOf('plan-pr', {
      name: roles.planPullRequest,
      policyName: planPolicyNames(env).planPullRequest,
      access: { ...access, pullRequest: { secretStateObjects: PULL_REQUEST_SECRET_STATES.map((layer) => `${bucketArn}/${stateObjectKey(env, layer)}`) } },
      trust: trust('plan-pr-trust', subjects.planPullRequest),
      description: `GitHub Actions (${env.repository}) pull-request plans of ${env.name}: read-only, no secrets`,
      policyDescription: 'What a pull request\'s terraform plan reads: the plan role\'s reads minus every secret (app client secrets, the identity state); no writes',
    });

    // ---- Workload boundary: the ceiling of every role the platform (the apply role) creates ----------------
    const workloadDoc = new DataAwsIamPolicyDocument(this, 'workload-boundary-policy', {
      statement: workloadBoundaryStatements({ bucketArns: [bucketArn, logBucketArn], stateKeyArn: stateKey.arn }),
    });
    const workloadBoundary = new IamPolicy(this, 'workload-boundary', {
      name: platform.boundaryName,
      description: `Caps every role the ${env.name} platform creates: no IAM writes, no role chaining, no Terraform state, no org or account changes`,
      policy: workloadDoc.json,
    });

    // ---- Apply role: administrator inside a permissions boundary -------------------------------------------
    const applyBoundaryName = resourceName(env, 'delivery-apply-boundary');
    const boundaryArn = (name: string) => `arn:${partition}:iam::${account}:policy${DELIVERY_IAM_PATH}${name}`;
    const boundaryDoc = new DataAwsIamPolicyDocument(this, 'apply-boundary-policy', {
      statement: applyBoundaryStatements({
        account,
        platformPath: platform.path,
        workloadBoundaryArn: platform.permissionsBoundary,
        bucketArns: [bucketArn, logBucketArn],
        logBucketArn,
        stateKeyArn: stateKey.arn,
        deliveryArns: [
          roleArns.plan,
          roleArns.planPullRequest,
          roleArns.apply,
          boundaryArn(applyBoundaryName),
          boundaryArn(platform.boundaryName),
          boundaryArn(planPolicyNames(env).plan),
          boundaryArn(planPolicyNames(env).planPullRequest),
        ],
      }),
    });
    const boundary = new IamPolicy(this, 'apply-boundary', {
      name: applyBoundaryName,
      description: 'Caps the delivery apply role: only bounded roles under the platform path, no IAM users, keys or identity providers, no tampering with the delivery foundation',
      policy: boundaryDoc.json,
    });
    const applyRole = new IamRole(this, 'apply-role', {
      name: roles.apply,
      description: `GitHub Actions (${env.repository}) applies to ${env.name} through the protected environment "${env.name}"`,
      assumeRolePolicy: trust('apply-trust', subjects.apply).json,
      maxSessionDuration: APPLY_MAX_SESSION_SECONDS,
      permissionsBoundary: boundary.arn,
    });
    // The platform creates VPCs, EKS, RDS, CloudFront, WAF, IAM roles…: a scoped list breaks with every new
    // resource type; AdministratorAccess capped by the boundary above is the reviewed choice (docs/delivery.md).
    new IamRolePolicyAttachment(this, 'apply-admin', { role: applyRole.name, policyArn: `arn:${partition}:iam::aws:policy/AdministratorAccess` });

    // Every role and policy of this stack under the delivery path (the guardrails check it).
    applyIamConvention(this, { path: DELIVERY_IAM_PATH });

    new TerraformOutput(this, 'state_bucket', { value: state.bucket });
    new TerraformOutput(this, 'state_key_arn', { value: stateKey.arn });
    new TerraformOutput(this, 'oidc_provider_arn', { value: oidcArn });
    new TerraformOutput(this, 'plan_role_arn', { value: planRole.arn });
    new TerraformOutput(this, 'plan_pull_request_role_arn', { value: planPullRequestRole.arn });
    new TerraformOutput(this, 'apply_role_arn', { value: applyRole.arn });
    new TerraformOutput(this, 'workload_boundary_arn', { value: workloadBoundary.arn });
  }

  /** Versioning, default encryption, public access block, bucket-owner-enforced, TLS-only policy, lifecycle, events. */
  private protectBucket(
    id: string,
    bucket: S3Bucket,
    opts: {
      encryption: { sseAlgorithm: string; kmsMasterKeyId?: string };
      lifecycleRules: ConstructorParameters<typeof S3BucketLifecycleConfiguration>[2]['rule'];
      extraStatements?: DataAwsIamPolicyDocumentStatement[];
    },
  ): void {
    new S3BucketVersioningA(this, `${id}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketServerSideEncryptionConfigurationA(this, `${id}-encryption`, {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: opts.encryption, bucketKeyEnabled: opts.encryption.sseAlgorithm === 'aws:kms' }],
    });
    const pab = new S3BucketPublicAccessBlock(this, `${id}-public-access`, {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, `${id}-ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketLifecycleConfiguration(this, `${id}-lifecycle`, { bucket: bucket.id, rule: opts.lifecycleRules });
    // Object events to EventBridge: security tooling can watch state reads and writes without polling.
    new S3BucketNotification(this, `${id}-events`, { bucket: bucket.id, eventbridge: true });
    const policy = new DataAwsIamPolicyDocument(this, `${id}-policy-document`, {
      statement: [...tlsOnlyBucketStatements(bucket.arn), ...(opts.extraStatements ?? [])],
    });
    new S3BucketPolicy(this, `${id}-policy`, { bucket: bucket.id, policy: policy.json, dependsOn: [pab] });
  }
}

