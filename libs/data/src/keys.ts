import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { parseSettings, policyJson, type PolicyStatement } from '@awp/config';
import { keysSettings, type KeysSettings } from './settings';

/** Where the keys live: account, region and partition (from data sources or literals). */
export interface AwsScope {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

export interface DataKeysProps {
  /** Prefix of the aliases (`alias/<prefix>-data`, `alias/<prefix>-secrets`). */
  readonly namePrefix: string;
  readonly scope: AwsScope;
  /**
   * IAM roles that administer the keys (not use them), e.g. the delivery pipeline's apply role. The account root
   * keeps full administration in any case, so IAM policies decide who else may use the keys.
   * @default []
   */
  readonly keyAdministratorArns?: readonly string[];
  /** The keys' settings (`keysSettings`, libs/data/src/settings.ts): documented there, with their defaults. */
  readonly settings: KeysSettings;
}

const USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];
const ADMIN_ACTIONS = [
  'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*',
  'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:RotateKeyOnDemand',
];

/**
 * Two customer-managed keys with yearly rotation:
 * - `data`: RDS storage and Performance Insights, ElastiCache at rest, S3 (assets, uploads);
 * - `secrets`: Secrets Manager (the RDS-managed master secret and the service's own secrets).
 * Each key policy names who uses it: the account's principals only through the named AWS services
 * (`kms:ViaService` + `kms:CallerAccount`), CloudFront (data key, decrypt only, this account's distributions),
 * named administrators; nobody gets `kms:*` except the account root (the AWS-recommended administration anchor).
 * CloudWatch Logs use the network layer's logs key.
 */
export class DataKeys extends Construct {
  readonly dataKey: KmsKey;
  readonly secretsKey: KmsKey;
  readonly dataKeyArn: string;
  readonly secretsKeyArn: string;

  constructor(scope: Construct, id: string, props: DataKeysProps) {
    super(scope, id);
    const s = parseSettings(keysSettings, props.settings, `DataKeys ${this.node.path}`);
    const { accountId, region, partition } = props.scope;
    const root = `arn:${partition}:iam::${accountId}:root`;
    const admins = props.keyAdministratorArns ?? [];
    const common = (sidPrefix: string): PolicyStatement[] => [
      // Without this the key can become unmanageable; IAM policies of the account decide further use.
      { Sid: 'AccountRootAdministers', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
      ...(admins.length ? [{ Sid: `${sidPrefix}KeyAdministrators`, Effect: 'Allow' as const, Principal: { AWS: [...admins] }, Action: ADMIN_ACTIONS, Resource: '*' }] : []),
    ];
    const viaServices = (sid: string, services: string[]): PolicyStatement[] => {
      const via = { 'kms:ViaService': services.map((s) => `${s}.${region}.amazonaws.com`), 'kms:CallerAccount': accountId };
      return [
        { Sid: sid, Effect: 'Allow', Principal: { AWS: root }, Action: USE_ACTIONS, Resource: '*', Condition: { StringEquals: via } },
        {
          // Managed services hold the key through grants; only grants for AWS resources, only via those services.
          Sid: `${sid}Grants`,
          Effect: 'Allow',
          Principal: { AWS: root },
          Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
          Resource: '*',
          Condition: { StringEquals: via, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
      ];
    };

    const dataPolicy = policyJson([
      ...common('Data'),
      ...viaServices('DataStoresUseKeyThroughTheirService', ['rds', 'elasticache', 's3']),
      {
        // CloudFront's origin access control reads SSE-KMS objects; only this account's distributions.
        Sid: 'CloudFrontDecryptsObjectsForThisAccountsDistributions',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudfront::${accountId}:distribution/*` } },
      },
    ]);
    const secretsPolicy = policyJson([...common('Secrets'), ...viaServices('SecretsManagerUsesKey', ['secretsmanager'])]);

    const deletionWindowInDays = s.kmsDeletionWindowDays;
    this.dataKey = new KmsKey(this, 'data-key', {
      description: `${props.namePrefix}: data at rest (RDS, ElastiCache, S3)`,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays,
      policy: dataPolicy,
    });
    new KmsAlias(this, 'data-key-alias', { name: `alias/${props.namePrefix}-data`, targetKeyId: this.dataKey.keyId });
    this.secretsKey = new KmsKey(this, 'secrets-key', {
      description: `${props.namePrefix}: Secrets Manager secrets`,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays,
      policy: secretsPolicy,
    });
    new KmsAlias(this, 'secrets-key-alias', { name: `alias/${props.namePrefix}-secrets`, targetKeyId: this.secretsKey.keyId });
    this.dataKeyArn = this.dataKey.arn;
    this.secretsKeyArn = this.secretsKey.arn;
  }
}
