import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { PLAN_DENIED_CONTENT_READS, planReadServices } from './plan-reads';

/**
 * The delivery roles' policies, as statements of `aws_iam_policy_document` (docs/delivery.md → Threat model).
 * apps/infra/test/bootstrap.test.ts and plan-role.test.ts evaluate them (src/bootstrap/policy-eval.ts) against the
 * requests an attacker would make.
 */

/** What the plan role may read beyond metadata. */
export interface PlanAccess {
  readonly bucketArn: string;
  /** This environment's state objects (`<bucket>/<keyPrefix>/<env>/*`). */
  readonly stateObjects: string;
  readonly stateKeyArn: string;
  readonly region: string;
  readonly account: string;
  /** Secrets whose value a plan reads (their versions are managed by Terraform) — exactly these. */
  readonly secretNames: readonly string[];
  /**
   * Set for the pull-request plan role: a pull request's code runs with it, so it is also refused what returns a
   * secret that the other plan role may read — these state objects (the identity stack's holds the app clients'
   * secrets) and PULL_REQUEST_DENIED_READS.
   */
  readonly pullRequest?: { readonly secretStateObjects: readonly string[] };
}

/**
 * Calls refused to the pull-request plan role on top of PLAN_DENIED_CONTENT_READS, each allowed by its
 * `cognito-idp:Describe*` / `Get*`: DescribeUserPoolClient returns a confidential app client's secret (Cognito API
 * reference → UserPoolClientType.ClientSecret); DescribeIdentityProvider and GetIdentityProviderByIdentifier return
 * a federated provider's ProviderDetails, which hold the client_secret of an OIDC or social provider (→
 * API_DescribeIdentityProvider, IdentityProviderType.ProviderDetails). The stacks manage no identity provider.
 */
export const PULL_REQUEST_DENIED_READS: readonly string[] = ['cognito-idp:DescribeUserPoolClient', 'cognito-idp:DescribeIdentityProvider', 'cognito-idp:GetIdentityProviderByIdentifier'];

/**
 * A secret's ARN pattern from its name: Secrets Manager appends `-` and six random characters, and AWS recommends
 * `-??????` rather than `*` so that `name-more` is not matched (Secrets Manager User Guide → "Resource: secret ARN").
 */
export const secretArnPattern = (a: Pick<PlanAccess, 'region' | 'account'>, name: string): string => `arn:aws:secretsmanager:${a.region}:${a.account}:secret:${name}-??????`;

/**
 * The plan roles: Describe/Get/List in the services the stacks use (`plan-reads.ts`), this environment's state,
 * exactly the secret values its refresh reads — and explicit denies on everything that returns content, and on
 * every object write, which win over any Allow (IAM policy evaluation logic), also over a policy attached later.
 */
export function planRoleStatements(a: PlanAccess): DataAwsIamPolicyDocumentStatement[] {
  const secrets = a.secretNames.map((n) => secretArnPattern(a, n));
  const viaSecretsManager = { test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${a.region}.amazonaws.com`] };
  // Secrets Manager decrypts with the secret's ARN as encryption context (Secrets Manager User Guide →
  // "Secret encryption and decryption"), so this Decrypt opens those secrets and no other ciphertext.
  const forTheseSecrets = { test: 'StringLike', variable: 'kms:EncryptionContext:SecretARN', values: secrets };
  return [
    { sid: 'ReadMetadata', actions: planReadServices().flatMap((s) => [`${s}:Describe*`, `${s}:Get*`, `${s}:List*`]), resources: ['*'] },
    { sid: 'ListState', actions: ['s3:ListBucket'], resources: [a.bucketArn] },
    { sid: 'ReadState', actions: ['s3:GetObject'], resources: [a.stateObjects] },
    // Reading the encrypted state needs Decrypt. Plans run with -lock=false and write no lock file: a plan role
    // that could write or delete `<key>.tflock` could delete the lock an apply holds (and GenerateDataKey is gone too).
    { sid: 'UseStateKey', actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [a.stateKeyArn] },
    ...(secrets.length > 0
      ? [
          { sid: 'ReadExactSecrets', actions: ['secretsmanager:GetSecretValue'], resources: secrets },
          { sid: 'DecryptExactSecrets', actions: ['kms:Decrypt'], resources: [`arn:aws:kms:${a.region}:${a.account}:key/*`], condition: [viaSecretsManager, forTheseSecrets] },
        ]
      : []),
    // ---- Denies: content stays out of reach, whatever is attached ----
    { sid: 'DenyObjectWrites', effect: 'Deny', actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'], resources: ['*'] },
    { sid: 'DenyObjectReadsOutsideState', effect: 'Deny', actions: ['s3:GetObject*'], notResources: [a.stateObjects] },
    { sid: 'DenyContentReads', effect: 'Deny', actions: [...PLAN_DENIED_CONTENT_READS], resources: ['*'] },
    { sid: 'DenySecretValues', effect: 'Deny', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'], ...(secrets.length > 0 ? { notResources: secrets } : { resources: ['*'] }) },
    {
      sid: 'DenyDecryptOutsideStateKey',
      effect: 'Deny',
      actions: ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      notResources: [a.stateKeyArn],
      // Not denied: Secrets Manager decrypting exactly the secrets above (a missing key denies: negated operators
      // match when the key is absent — IAM User Guide → "Condition operators").
      ...(secrets.length > 0 ? { condition: [{ test: 'StringNotLike', variable: 'kms:EncryptionContext:SecretARN', values: secrets }] } : {}),
    },
    ...(a.pullRequest
      ? [
          { sid: 'DenySecretReadsToPullRequests', effect: 'Deny', actions: [...PULL_REQUEST_DENIED_READS], resources: ['*'] },
          { sid: 'DenySecretStateToPullRequests', effect: 'Deny', actions: ['s3:GetObject*'], resources: [...a.pullRequest.secretStateObjects] },
        ]
      : []),
  ];
}

/**
 * What no role of the platform and not the apply role may ever do: IAM users and their credentials, groups,
 * identity providers, account-wide IAM settings, service-linked role deletion, assuming other roles (a role that
 * trusts the account would lend its rights), leaving the organisation or closing
 * the account, and switching off the account's audit and detection.
 */
export const BOUNDARY_FORBIDDEN_ACTIONS = [
  'iam:*User*', 'iam:*Group*', 'iam:*AccessKey*', 'iam:*LoginProfile*', 'iam:*ServiceSpecificCredential*', 'iam:*SSHPublicKey*', 'iam:*SigningCertificate*', 'iam:*MFADevice*',
  'iam:*OpenIDConnectProvider*', 'iam:*SAMLProvider*', 'iam:*AccountPasswordPolicy', 'iam:*AccountAlias', 'iam:SetSecurityTokenServicePreferences', 'iam:DeleteServiceLinkedRole',
  'iam:DeleteRolePermissionsBoundary',
  'organizations:*', 'account:*', 'sts:AssumeRole',
  'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors',
  'guardduty:DeleteDetector', 'guardduty:UpdateDetector', 'guardduty:DisassociateFromAdministratorAccount', 'guardduty:DisassociateFromMasterAccount',
  'config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder', 'config:DeleteDeliveryChannel',
  'access-analyzer:DeleteAnalyzer', 'access-analyzer:CreateArchiveRule', 'access-analyzer:UpdateArchiveRule', 'securityhub:DisableSecurityHub',
] as const;

/** Role, policy and instance-profile changes: only under the platform path. */
export const IAM_ENTITY_WRITES = [
  'iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy',
  'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:TagRole', 'iam:UntagRole', 'iam:PassRole',
  'iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:TagPolicy', 'iam:UntagPolicy',
  'iam:CreateInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:TagInstanceProfile', 'iam:UntagInstanceProfile',
] as const;

/**
 * The actions that take the `iam:PermissionsBoundary` condition key (Service Authorization Reference → IAM), for
 * roles: a role the apply role creates or changes must carry the workload boundary — AWS's own pattern
 * ("CreateOrChangeOnlyWithBoundary", IAM User Guide → "Permissions boundaries for IAM entities").
 */
export const BOUNDARY_CONDITIONED_ROLE_ACTIONS = ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'] as const;

/** State bucket changes that would weaken it, copy it elsewhere, or hide access to it. */
export const STATE_BUCKET_TAMPERING = [
  's3:DeleteBucket*', 's3:PutBucket*', 's3:Put*Configuration', 's3:PutReplicationConfiguration', 's3:PutObjectAcl', 's3:PutObjectVersionAcl', 's3:DeleteObjectVersion',
  's3:PutObjectRetention', 's3:PutObjectLegalHold', 's3:BypassGovernanceRetention',
] as const;

/**
 * The apply role's permissions boundary: AdministratorAccess is attached, this is its ceiling. Everything except
 * the forbidden actions; roles and policies only under the platform path; roles only with the workload boundary;
 * nothing that weakens or reads around the delivery foundation (state bucket, its access logs, the state key, the
 * delivery roles and boundaries).
 */
export function applyBoundaryStatements(a: {
  account: string;
  platformPath: string;
  workloadBoundaryArn: string;
  bucketArns: string[];
  logBucketArn: string;
  stateKeyArn: string;
  deliveryArns: string[];
}): DataAwsIamPolicyDocumentStatement[] {
  const iam = (type: string) => `arn:aws:iam::${a.account}:${type}${a.platformPath}*`;
  return [
    // A boundary is a ceiling: everything but the forbidden actions …
    { sid: 'AllowAllButForbidden', notActions: [...BOUNDARY_FORBIDDEN_ACTIONS], resources: ['*'] },
    { sid: 'DenyForbidden', effect: 'Deny', actions: [...BOUNDARY_FORBIDDEN_ACTIONS], resources: ['*'] },
    // … roles and policies only in the platform's namespace (not the delivery roles, not other teams' or SSO roles) …
    { sid: 'DenyIamOutsidePlatformPath', effect: 'Deny', actions: [...IAM_ENTITY_WRITES], notResources: [iam('role'), iam('policy'), iam('instance-profile')] },
    // … and every role it creates or changes inside the workload boundary: no unbounded role outlives the session.
    {
      sid: 'DenyRolesWithoutWorkloadBoundary',
      effect: 'Deny',
      actions: [...BOUNDARY_CONDITIONED_ROLE_ACTIONS],
      resources: ['*'],
      condition: [{ test: 'StringNotEquals', variable: 'iam:PermissionsBoundary', values: [a.workloadBoundaryArn] }],
    },
    // Replication, logging, notifications, policy, ACLs, lifecycle…: one call would copy every future state elsewhere.
    { sid: 'DenyStateBucketTampering', effect: 'Deny', actions: [...STATE_BUCKET_TAMPERING], resources: a.bucketArns.flatMap((b) => [b, `${b}/*`]) },
    { sid: 'DenyAccessLogObjects', effect: 'Deny', actions: ['s3:*Object*'], resources: [`${a.logBucketArn}/*`] },
    { sid: 'DenyAccountPublicAccessChanges', effect: 'Deny', actions: ['s3:PutAccountPublicAccessBlock'], resources: ['*'] },
    { sid: 'DenyStateKeyTampering', effect: 'Deny', actions: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy', 'kms:DisableKeyRotation', 'kms:CreateGrant', 'kms:ImportKeyMaterial', 'kms:DeleteImportedKeyMaterial'], resources: [a.stateKeyArn] },
    // The delivery roles and boundaries: readable, nothing else (also not passable to a service).
    { sid: 'DenyDeliveryTampering', effect: 'Deny', notActions: ['iam:Get*', 'iam:List*'], resources: a.deliveryArns },
  ];
}

/**
 * The workload boundary: the ceiling of every role the platform creates (EKS cluster and nodes, pod identity roles,
 * RDS monitoring, flow logs). What they need (EC2, ELB, ECR, logs, metrics, S3, Secrets Manager, KMS, …) stays;
 * no IAM writes but service-linked roles (AmazonEKSClusterPolicy creates the ELB one), no role chaining, nothing of
 * the Terraform state, and the forbidden actions.
 */
export function workloadBoundaryStatements(a: { bucketArns: string[]; stateKeyArn: string }): DataAwsIamPolicyDocumentStatement[] {
  return [
    { sid: 'AllowWorkloads', notActions: ['iam:*', 'sts:AssumeRole', 'organizations:*', 'account:*'], resources: ['*'] },
    { sid: 'AllowIamReadsAndServiceLinkedRoles', actions: ['iam:Get*', 'iam:List*', 'iam:CreateServiceLinkedRole'], resources: ['*'] },
    { sid: 'DenyForbidden', effect: 'Deny', actions: [...BOUNDARY_FORBIDDEN_ACTIONS], resources: ['*'] },
    { sid: 'DenyTerraformState', effect: 'Deny', actions: ['s3:*'], resources: a.bucketArns.flatMap((b) => [b, `${b}/*`]) },
    { sid: 'DenyStateKey', effect: 'Deny', actions: ['kms:*'], resources: [a.stateKeyArn] },
  ];
}
