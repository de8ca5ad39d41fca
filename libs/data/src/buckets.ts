import { Construct } from 'constructs';
import { DataAwsCanonicalUserId } from '@cdktf/provider-aws/lib/data-aws-canonical-user-id';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketAcl } from '@cdktf/provider-aws/lib/s3-bucket-acl';
import { S3BucketCorsConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-cors-configuration';
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { parseSettings, policyJson, tlsOnlyBucketPolicy, tlsOnlyBucketStatements, type PolicyStatement } from '@awp/config';
import { grantStatements, viaService, type Grantee } from './grants';
import type { AwsScope } from './keys';
import { bucketsSettings, type BucketsSettings, type ResolvedBucketsSettings } from './settings';

/** A bucket of the layer: what other layers need of it (name, ARN, regional domain name) and who may use its objects. */
export class DataBucket {
  constructor(
    readonly name: string,
    readonly arn: string,
    readonly regionalDomainName: string,
    private readonly opts: { readonly key: string; readonly scope: AwsScope; readonly kmsKeyArn?: string },
  ) {}

  /**
   * Read, write and delete objects (under `keyPrefix` when given), list them, abort multipart uploads, and use the
   * bucket's KMS key only through S3 (SSE-KMS needs GenerateDataKey to write, Decrypt to read; S3 User Guide →
   * "Using server-side encryption with AWS KMS keys"). The inline policy is `<bucket>-read-write`, e.g. `uploads-read-write`.
   */
  grantReadWrite(grantee: Grantee, keyPrefix?: string): IamRolePolicy {
    const objects = `${this.arn}/${keyPrefix ?? ''}*`;
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        sid: 'ListObjects',
        actions: ['s3:ListBucket'],
        resources: [this.arn],
        condition: keyPrefix === undefined ? undefined : [{ test: 'StringLike', variable: 's3:prefix', values: [`${keyPrefix}*`] }],
      },
      { sid: 'ReadWriteObjects', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], resources: [objects] },
    ];
    if (this.opts.kmsKeyArn) {
      statements.push({ sid: 'UseBucketKeyThroughS3', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.opts.kmsKeyArn], condition: viaService('s3', this.opts.scope.region) });
    }
    return grantStatements(grantee, `${this.opts.key}-read-write`, statements);
  }
}

/** Canonical user of the `awslogsdelivery` account that writes CloudFront standard (legacy) logs. */
export const CLOUDFRONT_LOG_DELIVERY_CANONICAL_ID = 'c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0';

/** Key prefixes in the logs bucket, one per writer. */
export const LOG_PREFIXES = { s3Access: 's3-access/', alb: 'alb', cloudfront: 'cloudfront/' } as const;

export interface DataBucketsProps {
  /** The buckets' settings (`bucketsSettings`, libs/data/src/settings.ts): documented there, with their defaults. */
  readonly settings: BucketsSettings;
  readonly namePrefix: string;
  readonly scope: AwsScope;
  /** Globally unique bucket names. */
  readonly names: { readonly assets: string; readonly uploads: string; readonly logs: string };
  /** CMK for SSE-KMS of assets and uploads. */
  readonly dataKeyArn: string;
  /** The site's origin (`https://<site domain>`): allowed to PUT presigned uploads from the browser, with `settings.extraCorsOrigins`. */
  readonly siteOrigin: string;
}

/**
 * The three buckets of the layer:
 * - `assets`: CloudFront origin via OAC (the edge layer writes its bucket policy, with `assetsBucketPolicyStatements`);
 * - `uploads`: the service's presigned PUTs (CORS for the site), read back through CloudFront via OAC (the edge
 *   layer writes its bucket policy too, with `uploadsBucketPolicyStatements`);
 * - `logs`: S3 server access logs of the other two, ALB access logs and CloudFront standard logs.
 * All block public access, are versioned, have lifecycle rules and deny non-TLS (assets and uploads through the
 * edge layer's policies, which include the statements exposed here). Assets and uploads use SSE-KMS with
 * the data key and bucket-owner-enforced ownership; logs use SSE-S3 and ACLs (bucket-owner-preferred), because
 * S3 server access logging and ALB logs only write to SSE-S3 buckets and CloudFront standard logging needs ACLs.
 */
export class DataBuckets extends Construct {
  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedBucketsSettings;
  readonly assets: DataBucket;
  readonly uploads: DataBucket;
  readonly logs: DataBucket;
  /** Key prefixes in the logs bucket: `alb` (ALB access_logs prefix), `cloudfront/` (standard logs), `s3-access/`. */
  readonly logPrefixes: typeof LOG_PREFIXES = LOG_PREFIXES;
  /** Statements the edge layer's assets bucket policy must include (deny non-TLS). */
  readonly assetsBucketPolicyStatements: DataAwsIamPolicyDocumentStatement[];
  /** Statements the edge layer's uploads bucket policy must include (deny non-TLS). */
  readonly uploadsBucketPolicyStatements: DataAwsIamPolicyDocumentStatement[];

  constructor(scope: Construct, id: string, props: DataBucketsProps) {
    super(scope, id);
    const s = (this.settings = parseSettings(bucketsSettings, props.settings, `DataBuckets ${this.node.path}`));
    const { accountId } = props.scope;
    const noncurrentDays = s.noncurrentVersionExpirationDays;
    const logDays = s.logExpirationDays;
    const abortDays = s.abortIncompleteMultipartDays;
    const hygiene: S3BucketLifecycleConfigurationRule[] = [
      { id: 'abort-incomplete-multipart-uploads', status: 'Enabled', filter: [{ prefix: '' }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: abortDays }] },
      {
        id: 'expire-noncurrent-versions',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrentVersionExpiration: [{ noncurrentDays }],
        expiration: [{ expiredObjectDeleteMarker: true }],
      },
    ];

    const bucket = (key: 'assets' | 'uploads' | 'logs', opts: { kms: boolean; acls: boolean; rules: S3BucketLifecycleConfigurationRule[] }) => {
      const b = new S3Bucket(this, key, { bucket: props.names[key], forceDestroy: false, tags: { Name: props.names[key], Purpose: key } });
      new S3BucketPublicAccessBlock(this, `${key}-public-access`, { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      const ownership = new S3BucketOwnershipControls(this, `${key}-ownership`, { bucket: b.id, rule: { objectOwnership: opts.acls ? 'BucketOwnerPreferred' : 'BucketOwnerEnforced' } });
      new S3BucketServerSideEncryptionConfigurationA(this, `${key}-sse`, {
        bucket: b.id,
        rule: [
          opts.kms
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.dataKeyArn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
        ],
      });
      const versioning = new S3BucketVersioningA(this, `${key}-versioning`, { bucket: b.id, versioningConfiguration: { status: 'Enabled' } });
      new S3BucketLifecycleConfiguration(this, `${key}-lifecycle`, { bucket: b.id, rule: opts.rules, dependsOn: [versioning] });
      return { bucket: b, ownership };
    };
    const out = (key: string, b: S3Bucket, kmsKeyArn?: string) => new DataBucket(b.bucket, b.arn, b.bucketRegionalDomainName, { key, scope: props.scope, kmsKeyArn });

    // ---- logs -----------------------------------------------------------------------------------------
    const logs = bucket('logs', {
      kms: false,
      acls: true,
      rules: [
        ...hygiene,
        {
          id: 'expire-logs',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          // Logs are rarely read after a month: infrequent access from day 30 (its minimum), gone after logExpirationDays.
          transition: logDays > 30 ? [{ days: 30, storageClass: 'STANDARD_IA' }] : undefined,
          expiration: [{ days: logDays }],
        },
      ],
    });
    const owner = new DataAwsCanonicalUserId(this, 'canonical-user');
    // CloudFront standard logging writes with ACLs: the grant is declared here so Terraform does not remove it.
    new S3BucketAcl(this, 'logs-acl', {
      bucket: logs.bucket.id,
      accessControlPolicy: {
        owner: { id: owner.id },
        grant: [
          { grantee: { id: owner.id, type: 'CanonicalUser' }, permission: 'FULL_CONTROL' },
          { grantee: { id: CLOUDFRONT_LOG_DELIVERY_CANONICAL_ID, type: 'CanonicalUser' }, permission: 'FULL_CONTROL' },
        ],
      },
      dependsOn: [logs.ownership],
    });

    // ---- assets and uploads -----------------------------------------------------------------------------
    const assets = bucket('assets', { kms: true, acls: false, rules: hygiene });
    const uploads = bucket('uploads', {
      kms: true,
      acls: false,
      rules: [...hygiene, { id: 'intelligent-tiering', status: 'Enabled', filter: [{ prefix: '' }], transition: [{ days: 30, storageClass: 'INTELLIGENT_TIERING' }] }],
    });
    new S3BucketCorsConfiguration(this, 'uploads-cors', {
      bucket: uploads.bucket.id,
      corsRule: [
        {
          id: 'browser-presigned-put',
          allowedOrigins: [props.siteOrigin, ...s.extraCorsOrigins],
          allowedMethods: ['PUT', 'GET', 'HEAD'],
          allowedHeaders: ['Content-Type', 'Content-MD5', 'x-amz-*'],
          exposeHeaders: ['ETag'],
          maxAgeSeconds: 3000,
        },
      ],
    });
    for (const [key, b] of [['assets', assets.bucket], ['uploads', uploads.bucket]] as const) {
      new S3BucketLoggingA(this, `${key}-access-logging`, {
        bucket: b.id,
        targetBucket: logs.bucket.id,
        targetPrefix: `${LOG_PREFIXES.s3Access}${props.names[key]}/`,
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
      });
    }

    // ---- bucket policies -------------------------------------------------------------------------------
    // Assets and uploads: the edge layer owns their policies (only it knows the distribution's ARN, and a bucket
    // takes one policy), so it adds the TLS-only statements exposed below. The logs policy stays here.

    // ALB access logs land under `alb/<any prefix>/AWSLogs/<account>/`; the edge layer picks the prefix below `alb/`.
    const albObjects = `${logs.bucket.arn}/${LOG_PREFIXES.alb}/*AWSLogs/${accountId}/*`;
    const elbWriters: PolicyStatement[] = [
      { Sid: 'AlbLogDeliveryService', Effect: 'Allow', Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }, Action: 's3:PutObject', Resource: albObjects },
    ];
    if (s.legacyElbAccountLogDelivery) {
      const elb = new DataAwsElbServiceAccount(this, 'elb-account');
      elbWriters.push({ Sid: 'AlbLogDeliveryRegionalAccount', Effect: 'Allow', Principal: { AWS: elb.arn }, Action: 's3:PutObject', Resource: albObjects });
    }
    const logsPolicy = policyJson([
      ...tlsOnlyBucketPolicy(logs.bucket.arn),
      {
        Sid: 'S3ServerAccessLogsFromThisLayersBuckets',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `${logs.bucket.arn}/${LOG_PREFIXES.s3Access}*`,
        Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': [assets.bucket.arn, uploads.bucket.arn] } },
      },
      ...elbWriters,
    ]);
    new S3BucketPolicy(this, 'logs-bucket-policy', { bucket: logs.bucket.id, policy: logsPolicy });

    this.assets = out('assets', assets.bucket, props.dataKeyArn);
    this.uploads = out('uploads', uploads.bucket, props.dataKeyArn);
    this.logs = out('logs', logs.bucket); // SSE-S3: no key to grant
    this.assetsBucketPolicyStatements = tlsOnlyBucketStatements(assets.bucket.arn);
    this.uploadsBucketPolicyStatements = tlsOnlyBucketStatements(uploads.bucket.arn);
  }
}
