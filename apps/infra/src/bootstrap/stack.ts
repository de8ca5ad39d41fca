import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsIamOpenidConnectProvider } from '@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
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
import { defaultTags, deliveryRoleNames, globalName, requireTerraformVersion, resourceName, tlsOnlyBucketStatements, type EnvironmentConfig } from '@awp/config';

/** GitHub's OIDC issuer and the audience configure-aws-credentials asks for. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/**
 * Thumbprints of GitHub's OIDC endpoint certificates (published by GitHub). AWS has validated this issuer
 * against its own trusted CA store since 2023 and ignores them, but the API still stores a list.
 */
export const GITHUB_OIDC_THUMBPRINTS = ['6938fd4d98bab03faadb97b34396831e3780aea1', '1c58a3a8518e8759bf075b76b750d4f2df264fcd'];
/** Role sessions last at most one hour: a plan or an apply of one environment fits, a leaked token soon expires. */
export const MAX_SESSION_SECONDS = 3600;

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

/** The GitHub OIDC subject claims each role trusts, exactly (no wildcards). */
export function trustedSubjects(env: EnvironmentConfig, defaultBranch = 'main'): { plan: string[]; apply: string[] } {
  const repo = `repo:${env.repository}`;
  return {
    // Pull requests plan; scheduled drift detection runs on the default branch without an environment.
    plan: [`${repo}:pull_request`, `${repo}:ref:refs/heads/${defaultBranch}`],
    // Only jobs bound to the GitHub environment of the same name (protection rules, reviewers on prod) apply.
    apply: [`${repo}:environment:${env.name}`],
  };
}

/**
 * The per-account foundation of the delivery pipeline, applied once by hand (docs/delivery.md):
 * the Terraform state bucket with its KMS key and access-log bucket, GitHub's OIDC provider, and the
 * environment's read-only plan role and apply role.
 */
export class BootstrapStack extends TerraformStack {
  readonly env: EnvironmentConfig;
  readonly stateBucketName: string;
  readonly accessLogBucketName: string;
  readonly planRoleName: string;
  readonly applyRoleName: string;

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, `${props.env.name}-bootstrap`);
    const { env } = props;
    this.env = env;
    this.node.setContext('awp:tier', env.tier);
    const region = env.state.region ?? env.region;
    const partition = 'aws';
    const account = env.account.id;
    const bucket = env.state.bucket;
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const roles = deliveryRoleNames(env);
    this.stateBucketName = bucket;
    this.planRoleName = roles.plan;
    this.applyRoleName = roles.apply;

    if ((props.backend ?? 'local') === 's3') {
      new S3Backend(this, { bucket, key: `${env.state.keyPrefix}/${env.name}/bootstrap.tfstate`, region, encrypt: true });
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
    const trust = (id: string, subs: string[]) =>
      new DataAwsIamPolicyDocument(this, id, {
        statement: [
          {
            sid: 'GitHubActionsOidc',
            actions: ['sts:AssumeRoleWithWebIdentity'],
            principals: [{ type: 'Federated', identifiers: [oidcArn] }],
            condition: [
              { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:aud`, values: [GITHUB_OIDC_AUDIENCE] },
              // StringEquals, not StringLike: a wildcard here is how other repositories get in.
              { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:sub`, values: subs },
            ],
          },
        ],
      });

    // ---- Plan role: read-only, plus the state lock file ---------------------------------------------------
    const planRole = new IamRole(this, 'plan-role', {
      name: roles.plan,
      description: `GitHub Actions (${env.repository}) pull-request and drift plans of ${env.name}: read-only`,
      assumeRolePolicy: trust('plan-trust', subjects.plan).json,
      maxSessionDuration: MAX_SESSION_SECONDS,
    });
    new IamRolePolicyAttachment(this, 'plan-read-only', { role: planRole.name, policyArn: `arn:${partition}:iam::aws:policy/ReadOnlyAccess` });
    const lockFiles = `${bucketArn}/*.tflock`;
    const planState = new DataAwsIamPolicyDocument(this, 'plan-state-policy', {
      statement: [
        { sid: 'ListState', actions: ['s3:ListBucket'], resources: [bucketArn] },
        { sid: 'ReadState', actions: ['s3:GetObject'], resources: [`${bucketArn}/*`] },
        // use_lockfile: terraform plan takes and releases `<key>.tflock` next to the state object.
        { sid: 'WriteLockFilesOnly', actions: ['s3:PutObject', 's3:DeleteObject'], resources: [lockFiles] },
        // Reading the encrypted state needs Decrypt; writing the (encrypted) lock file needs GenerateDataKey.
        { sid: 'UseStateKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [stateKey.arn] },
        // Belt and braces: whatever else is attached later, this role never writes state.
        { sid: 'DenyStateWrites', effect: 'Deny', actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'], notResources: [lockFiles] },
      ],
    });
    new IamRolePolicy(this, 'plan-state', { role: planRole.id, name: 'terraform-state-read-and-lock', policy: planState.json });

    // ---- Apply role: administrator inside a permissions boundary -------------------------------------------
    const applyRoleArn = `arn:${partition}:iam::${account}:role/${roles.apply}`;
    const planRoleArn = `arn:${partition}:iam::${account}:role/${roles.plan}`;
    const boundaryName = resourceName(env, 'delivery-apply-boundary');
    const boundaryArn = `arn:${partition}:iam::${account}:policy/${boundaryName}`;
    const boundaryDoc = new DataAwsIamPolicyDocument(this, 'apply-boundary-policy', {
      statement: applyBoundaryStatements({ bucketArn, stateKeyArn: stateKey.arn, boundaryArn, deliveryRoleArns: [planRoleArn, applyRoleArn], oidcArn }),
    });
    const boundary = new IamPolicy(this, 'apply-boundary', {
      name: boundaryName,
      description: 'Caps the delivery apply role: no IAM users or keys, no leaving the organisation, no tampering with the delivery foundation',
      policy: boundaryDoc.json,
    });
    const applyRole = new IamRole(this, 'apply-role', {
      name: roles.apply,
      description: `GitHub Actions (${env.repository}) applies to ${env.name} through the protected environment "${env.name}"`,
      assumeRolePolicy: trust('apply-trust', subjects.apply).json,
      maxSessionDuration: MAX_SESSION_SECONDS,
      permissionsBoundary: boundary.arn,
    });
    // The platform creates VPCs, EKS, RDS, CloudFront, WAF, IAM roles…: a scoped list breaks with every new
    // resource type; AdministratorAccess capped by the boundary above is the reviewed choice (docs/delivery.md).
    new IamRolePolicyAttachment(this, 'apply-admin', { role: applyRole.name, policyArn: `arn:${partition}:iam::aws:policy/AdministratorAccess` });

    new TerraformOutput(this, 'state_bucket', { value: state.bucket });
    new TerraformOutput(this, 'state_key_arn', { value: stateKey.arn });
    new TerraformOutput(this, 'oidc_provider_arn', { value: oidcArn });
    new TerraformOutput(this, 'plan_role_arn', { value: planRole.arn });
    new TerraformOutput(this, 'apply_role_arn', { value: applyRole.arn });
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

/** Actions the apply role can never perform, whatever policy is attached to it. */
export const BOUNDARY_FORBIDDEN_ACTIONS = [
  'iam:CreateUser', 'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey',
  'organizations:LeaveOrganization', 'account:CloseAccount',
] as const;

/**
 * The permissions boundary of the apply role: everything, except creating IAM users or long-lived keys,
 * leaving the organisation or closing the account, and changing the delivery foundation itself (state
 * bucket protections, state key, the OIDC provider, the delivery roles and this boundary).
 */
export function applyBoundaryStatements(a: { bucketArn: string; stateKeyArn: string; boundaryArn: string; deliveryRoleArns: string[]; oidcArn: string }): DataAwsIamPolicyDocumentStatement[] {
  return [
    // A boundary is a ceiling: everything except what no deployment ever needs (IAM users and their
    // long-lived keys, leaving the organisation, closing the account) …
    { sid: 'AllowAllButLongLivedCredentialsAndAccountExits', notActions: [...BOUNDARY_FORBIDDEN_ACTIONS], resources: ['*'] },
    // … and nothing that weakens the delivery foundation this stack creates.
    {
      sid: 'DenyStateBucketTampering',
      effect: 'Deny',
      actions: ['s3:DeleteBucket', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketVersioning', 's3:PutEncryptionConfiguration', 's3:PutLifecycleConfiguration', 's3:PutBucketPublicAccessBlock', 's3:PutBucketOwnershipControls', 's3:DeleteObjectVersion'],
      resources: [a.bucketArn, `${a.bucketArn}/*`],
    },
    {
      sid: 'DenyStateKeyTampering',
      effect: 'Deny',
      actions: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy', 'kms:DisableKeyRotation', 'kms:CreateGrant'],
      resources: [a.stateKeyArn],
    },
    {
      sid: 'DenyDeliveryRoleTampering',
      effect: 'Deny',
      actions: [
        'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:DeleteRole', 'iam:UpdateAssumeRolePolicy',
        'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:UpdateRole', 'iam:TagRole', 'iam:UntagRole',
      ],
      resources: a.deliveryRoleArns,
    },
    {
      sid: 'DenyBoundaryTampering',
      effect: 'Deny',
      actions: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
      resources: [a.boundaryArn],
    },
    {
      sid: 'DenyOidcProviderTampering',
      effect: 'Deny',
      actions: ['iam:DeleteOpenIDConnectProvider', 'iam:UpdateOpenIDConnectProviderThumbprint', 'iam:AddClientIDToOpenIDConnectProvider', 'iam:RemoveClientIDFromOpenIDConnectProvider'],
      resources: [a.oidcArn],
    },
  ];
}
